package io.gmq.net.it;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Many cheap HTTP/2 client connections from one local address: each is a plain NIO socket that
 * sends the client connection preface and an empty SETTINGS frame, then stays silent. That is all
 * a gRPC server needs to set up a transport (its {@code transportReady} fires on the first
 * SETTINGS), so each costs the server what an idle gRPC channel costs, and the test JVM one file
 * descriptor and a few hundred bytes.
 *
 * <p>HTTP/2 frame header (RFC 9113, section 4.1), all big-endian:
 *
 * <pre>
 * +-----------------------------------------------+
 * |                 Length (24)                   |
 * +---------------+---------------+---------------+
 * |   Type (8)    |   Flags (8)   |
 * +-+-------------+---------------+-------------------------------+
 * |R|                 Stream Identifier (31)                      |
 * +=+=============================================================+
 * |                   Frame Payload (Length)                      |
 * +---------------------------------------------------------------+
 * </pre>
 */
final class IdleHttp2Clients implements AutoCloseable {
    static final int FRAME_HEADER_BYTES = 9;
    static final int TYPE_OFFSET = 3;
    static final int FLAGS_OFFSET = 4;
    static final int TYPE_SETTINGS = 0x4;
    static final int FLAG_ACK = 0x1;
    private static final byte[] PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    /** The client preface followed by an empty SETTINGS frame on stream 0. */
    private static final byte[] HELLO = hello();

    private final InetAddress local;
    private final InetSocketAddress server;
    private final List<SocketChannel> open = new ArrayList<>();

    IdleHttp2Clients(InetAddress local, InetSocketAddress server) {
        this.local = local;
        this.server = server;
    }

    private static byte[] hello() {
        byte[] b = new byte[PREFACE.length + FRAME_HEADER_BYTES];
        System.arraycopy(PREFACE, 0, b, 0, PREFACE.length);
        b[PREFACE.length + TYPE_OFFSET] = TYPE_SETTINGS; // length 0, flags 0, stream 0
        return b;
    }

    /**
     * Connects from the local address and says hello; the channel is kept (and closed by
     * {@link #close()}). The hello may fail if the server already closed the socket: a refused
     * connection shows in {@link #endsWithoutAByte}.
     */
    SocketChannel connect() throws IOException {
        SocketChannel ch = SocketChannel.open();
        open.add(ch);
        ch.bind(new InetSocketAddress(local, 0));
        ch.connect(server);
        try {
            ByteBuffer buf = ByteBuffer.wrap(HELLO);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
        } catch (IOException closedByServer) {
            // reported by the read that follows
        }
        return ch;
    }

    /** Opens {@code n} connections one after the other. */
    void connect(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            connect();
        }
    }

    int size() {
        return open.size();
    }

    SocketChannel get(int i) {
        return open.get(i);
    }

    /**
     * Reads frames from a blocking {@code ch} until the server acknowledges our SETTINGS, which
     * proves it took the connection as HTTP/2. False if the connection ends first.
     */
    static boolean awaitSettingsAck(SocketChannel ch, int timeoutMillis) throws IOException {
        ch.socket().setSoTimeout(timeoutMillis);
        InputStream in = ch.socket().getInputStream();
        byte[] header = new byte[FRAME_HEADER_BYTES];
        while (in.readNBytes(header, 0, FRAME_HEADER_BYTES) == FRAME_HEADER_BYTES) {
            int length = ((header[0] & 0xff) << 16) | ((header[1] & 0xff) << 8) | (header[2] & 0xff);
            in.skipNBytes(length);
            if (header[TYPE_OFFSET] == TYPE_SETTINGS && (header[FLAGS_OFFSET] & FLAG_ACK) != 0) {
                return true;
            }
        }
        return false;
    }

    /** True if the server ends blocking {@code ch} (close or reset) before sending it anything. */
    static boolean endsWithoutAByte(SocketChannel ch, int timeoutMillis) throws IOException {
        ch.socket().setSoTimeout(timeoutMillis);
        try {
            return ch.socket().getInputStream().read() == -1;
        } catch (SocketException reset) {
            return true;
        }
    }

    /** Closes (and forgets) the most recently opened connection. */
    void closeLast() throws IOException {
        open.remove(open.size() - 1).close();
    }

    /**
     * Watches every kept connection until the server has closed all of them or the deadline
     * passes; returns how many the server closed. Closed ones are closed here too (freeing the
     * test's descriptors). {@code onRound} runs between selector rounds (at most 200 ms apart).
     */
    int awaitAllClosedByServer(long deadlineNanos, Runnable onRound) throws IOException {
        int closed = 0;
        ByteBuffer scratch = ByteBuffer.allocate(4096);
        try (Selector selector = Selector.open()) {
            for (SocketChannel ch : open) {
                ch.configureBlocking(false);
                ch.register(selector, SelectionKey.OP_READ);
            }
            while (closed < open.size() && System.nanoTime() < deadlineNanos) {
                selector.select(200);
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    SocketChannel ch = (SocketChannel) key.channel();
                    if (drainedToEnd(ch, scratch)) {
                        key.cancel();
                        ch.close();
                        closed++;
                    }
                }
                onRound.run();
            }
        }
        return closed;
    }

    private static boolean drainedToEnd(SocketChannel ch, ByteBuffer scratch) {
        try {
            int n;
            do {
                scratch.clear();
                n = ch.read(scratch);
            } while (n > 0);
            return n < 0;
        } catch (IOException reset) {
            return true;
        }
    }

    @Override
    public void close() {
        for (SocketChannel ch : open) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing the rest matters more
            }
        }
        open.clear();
    }

    static long millisSince(long startNanos) {
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
    }
}
