package io.gmq.net.security;

import io.grpc.Attributes;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerTransportFilter;
import io.grpc.Status;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caps open connections of a listener, in total and per remote IP address.
 *
 * <p>As a {@link ServerTransportFilter} it counts each connection when it becomes ready and
 * uncounts it when it ends. gRPC offers no way to refuse a connection from a filter, so a
 * connection over a limit is marked in its transport attributes instead, and as a
 * {@link ServerInterceptor} this class closes every call on a marked connection with
 * RESOURCE_EXHAUSTED before any service code runs. The marked connection is not counted, holds no
 * session, and is reaped by the idle timeout ({@link NetLimits#maxConnectionIdle()}) once its
 * client stops calling. Rejections go to the audit log.
 *
 * <p>Invariant: {@code total} and each {@code perIp} value equal the number of accepted (unmarked)
 * connections that have not terminated; a per-IP entry is removed when it drops to zero.
 */
public final class ConnectionLimiter extends ServerTransportFilter implements ServerInterceptor {
    private static final Logger AUDIT = LoggerFactory.getLogger("gmq.audit");
    private static final Attributes.Key<String> REJECTED = Attributes.Key.create("gmq-connection-rejected");
    private static final Attributes.Key<String> COUNTED_IP = Attributes.Key.create("gmq-connection-ip");

    private final int maxConnections;
    private final int maxPerIp;
    private final AtomicInteger total = new AtomicInteger();
    private final ConcurrentHashMap<String, AtomicInteger> perIp = new ConcurrentHashMap<>();

    public ConnectionLimiter(int maxConnections, int maxPerIp) {
        this.maxConnections = maxConnections;
        this.maxPerIp = maxPerIp;
    }

    /** Accepted connections now open. */
    public int openConnections() {
        return total.get();
    }

    @Override
    public Attributes transportReady(Attributes attrs) {
        String ip = ipOf(attrs.get(Grpc.TRANSPORT_ATTR_REMOTE_ADDR));
        String reason = tryAcquire(ip);
        if (reason != null) {
            AUDIT.info("connection rejected: remote={} reason={}", ip, reason);
            return attrs.toBuilder().set(REJECTED, reason).build();
        }
        return attrs.toBuilder().set(COUNTED_IP, ip).build();
    }

    @Override
    public void transportTerminated(Attributes attrs) {
        String ip = attrs == null ? null : attrs.get(COUNTED_IP);
        if (ip != null) {
            release(ip);
        }
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String rejected = call.getAttributes().get(REJECTED);
        if (rejected != null) {
            call.close(Status.RESOURCE_EXHAUSTED.withDescription(rejected), new Metadata());
            return new ServerCall.Listener<>() {};
        }
        return next.startCall(call, headers);
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

    private void release(String ip) {
        total.decrementAndGet();
        perIp.computeIfPresent(ip, (k, c) -> c.decrementAndGet() == 0 ? null : c);
    }

    private static String ipOf(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            InetAddress a = inet.getAddress();
            return a == null ? inet.getHostString() : a.getHostAddress();
        }
        return String.valueOf(address); // in-process transports: one bucket per address object
    }
}
