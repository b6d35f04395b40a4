package io.gmq.net.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A thread-per-connection TCP forwarder on 127.0.0.1 (port 0) that stands between a broker and its
 * storage process, or between clients and a broker, so a test can break the link without touching
 * either side:
 *
 * <ul>
 *   <li>{@link #cut()} closes every open connection and refuses new ones (a dead link: the peer
 *       sees a reset / refused connection); {@link #resume()} accepts again.</li>
 *   <li>{@link #reset()} aborts every open connection with a TCP RST and keeps accepting new ones
 *       (a flapping link: the peer sees "connection reset" and may reconnect at once).</li>
 *   <li>{@link #delay(long)} holds every forwarded chunk for that many milliseconds (a slow link).</li>
 *   <li>{@link #retarget(int)} points new connections at another upstream port, so a restarted
 *       storage process (which picks a new port 0) is reachable at the same proxy address.</li>
 * </ul>
 *
 * <p>Each accepted connection owns two pump threads (one per direction); closing either socket ends
 * both. {@link #close()} stops the acceptor and closes every socket.
 */
final class TcpProxy implements AutoCloseable {
    private static final int CHUNK = 64 * 1024;

    private final ServerSocket listener;
    private final Thread acceptor;
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicInteger forwarded = new AtomicInteger();
    private final AtomicInteger refused = new AtomicInteger();
    private volatile int upstreamPort;
    private volatile boolean cut;
    private volatile long delayMillis;
    private volatile boolean closed;

    private TcpProxy(InetSocketAddress listenOn, int upstreamPort) throws IOException {
        this.upstreamPort = upstreamPort;
        this.listener = new ServerSocket();
        try {
            listener.bind(listenOn, 50);
        } catch (IOException e) {
            listener.close();
            throw e;
        }
        this.acceptor = new Thread(this::acceptLoop, "tcp-proxy-accept-" + listener.getLocalPort());
        acceptor.setDaemon(true);
        acceptor.start();
    }

    static TcpProxy to(int upstreamPort) throws IOException {
        return new TcpProxy(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), upstreamPort);
    }

    /** A proxy listening on {@code listenOn} (a given loopback address and port) for 127.0.0.1:{@code upstreamPort}. */
    static TcpProxy on(InetSocketAddress listenOn, int upstreamPort) throws IOException {
        return new TcpProxy(listenOn, upstreamPort);
    }

    String address() {
        return listener.getInetAddress().getHostAddress() + ":" + listener.getLocalPort();
    }

    void retarget(int port) {
        upstreamPort = port;
    }

    /** How many connections were forwarded upstream so far (refused ones are not counted). */
    int forwardedConnections() {
        return forwarded.get();
    }

    /** How many connections were closed at once because the link was cut (a client's failed attempts). */
    int refusedConnections() {
        return refused.get();
    }

    /** Drops every open connection and refuses new ones until {@link #resume()}. */
    void cut() {
        cut = true;
        closeAllConnections();
    }

    void resume() {
        cut = false;
    }

    /** Aborts every open connection with a RST (SO_LINGER 0); new connections are accepted as before. */
    void reset() {
        for (Socket s : open) {
            try {
                s.setSoLinger(true, 0);
            } catch (SocketException ignored) {
                // already closed
            }
        }
        closeAllConnections();
    }

    /** Every forwarded chunk waits this long (0: no delay). */
    void delay(long millis) {
        delayMillis = millis;
    }

    private void acceptLoop() {
        while (!closed) {
            Socket down;
            try {
                down = listener.accept();
            } catch (IOException e) {
                return; // listener closed
            }
            if (cut) {
                closeQuietly(down);
                refused.incrementAndGet();
                continue;
            }
            Socket up = new Socket();
            try {
                up.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort), 2_000);
            } catch (IOException e) {
                closeQuietly(down);
                closeQuietly(up);
                continue;
            }
            open.add(down);
            open.add(up);
            forwarded.incrementAndGet();
            startPump(down, up, "down->up");
            startPump(up, down, "up->down");
        }
    }

    private void startPump(Socket from, Socket to, String direction) {
        Thread t = new Thread(() -> pump(from, to), "tcp-proxy-" + direction + "-" + from.getPort());
        t.setDaemon(true);
        t.start();
    }

    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[CHUNK];
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    break;
                }
                long delay = delayMillis;
                if (delay > 0) {
                    // A slow link, not a synchronisation: the bytes are held back for the delay.
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(delay));
                }
                if (cut) {
                    break;
                }
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (SocketException e) {
            // the other pump, cut() or close() closed a socket: the connection is over
        } catch (IOException e) {
            // same: a broken connection ends both directions
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            open.remove(from);
            open.remove(to);
        }
    }

    private void closeAllConnections() {
        for (Socket s : open) {
            closeQuietly(s);
        }
        open.clear();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // nothing more to release
        }
    }

    @Override
    public void close() throws IOException {
        closed = true;
        listener.close();
        closeAllConnections();
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
