package io.gmq.net.security;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Caps open connections of a listener, in total and per remote IP address.
 *
 * <p>The listener's {@link AcceptGate} asks {@link #admit} for every accepted socket, before the
 * socket is registered with an event loop, so before any TLS or HTTP/2 byte is read or written. A
 * refused socket is closed at once (its client sees the connection end and reports UNAVAILABLE);
 * an admitted one is {@link #release released} when its channel closes, whatever closed it.
 * The gate writes refusals to the audit log through a {@link RejectionAudit}.
 *
 * <p>Invariant: {@code total} and each {@code perIp} value equal the number of admitted
 * connections whose channel has not closed; a per-IP entry is removed when it drops to zero.
 */
public final class ConnectionLimiter {
    private final int maxConnections;
    private final int maxPerIp;
    private final AtomicInteger total = new AtomicInteger();
    private final AtomicLong rejected = new AtomicLong();
    private final ConcurrentHashMap<String, AtomicInteger> perIp = new ConcurrentHashMap<>();

    public ConnectionLimiter(int maxConnections, int maxPerIp) {
        this.maxConnections = maxConnections;
        this.maxPerIp = maxPerIp;
    }

    /**
     * The outcome of {@link #admit}.
     *
     * @param ip the address the connection is counted under (the key for {@link #release})
     * @param refusal why a limit refused it, or null if it was admitted (and counted)
     */
    record Admission(String ip, String refusal) {
        boolean admitted() {
            return refusal == null;
        }
    }

    /** Admitted connections now open. */
    public int openConnections() {
        return total.get();
    }

    /** Connections refused since the listener started. */
    public long rejectedConnections() {
        return rejected.get();
    }

    /** Counts a new connection from {@code remote}, unless a limit refuses it (then nothing is counted). */
    Admission admit(SocketAddress remote) {
        String ip = ipOf(remote);
        String reason = tryAcquire(ip);
        if (reason != null) {
            rejected.incrementAndGet();
        }
        return new Admission(ip, reason);
    }

    /** Uncounts a connection admitted under {@code ip}. */
    void release(String ip) {
        total.decrementAndGet();
        perIp.computeIfPresent(ip, (k, c) -> c.decrementAndGet() == 0 ? null : c);
    }

    /** Counts a connection from {@code ip}, or returns why it may not be opened (counting nothing). */
    private String tryAcquire(String ip) {
        if (total.incrementAndGet() > maxConnections) {
            total.decrementAndGet();
            return "the server has its maximum of " + maxConnections + " connections (--max-connections); retry later";
        }
        boolean[] over = new boolean[1];
        perIp.compute(ip, (k, count) -> {
            AtomicInteger c = count == null ? new AtomicInteger() : count;
            if (c.get() >= maxPerIp) {
                over[0] = true;
            } else {
                c.incrementAndGet();
            }
            return c.get() == 0 ? null : c;
        });
        if (over[0]) {
            total.decrementAndGet();
            return "address " + ip + " has its maximum of " + maxPerIp
                    + " connections (--max-connections-per-ip); close idle clients or retry later";
        }
        return null;
    }

    private static String ipOf(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            InetAddress a = inet.getAddress();
            return a == null ? inet.getHostString() : a.getHostAddress();
        }
        return String.valueOf(address); // other socket kinds: one bucket per address
    }
}
