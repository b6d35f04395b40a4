package io.gmq.client.internal;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.TimeSource;
import io.gmq.client.ClientConfig;
import io.gmq.proto.ClientFrame;
import io.gmq.proto.GmqBrokerGrpc;
import io.gmq.proto.Heartbeat;
import io.gmq.proto.ServerFrame;
import io.gmq.wire.GrpcErrors;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's one connection to one broker at a time: a channel and its Session stream.
 *
 * <p>{@link #start()} tries every address, then again after a {@link ReconnectBackoff} delay, until
 * {@link ClientConfig#connectTimeout()} has passed. When a session breaks later, the connection
 * tries the next address (round robin over the configured brokers) with the same jittered
 * exponential backoff, and on success calls
 * {@link Listener#onConnected()} while holding the send lock, so resubscribes and resent publishes
 * go out before any new frame. Frames of a dead session are dropped (each session has an epoch).
 */
final class BrokerConnection implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerConnection.class);
    /**
     * Initial HTTP/2 receive window of a session (grpc still tunes it from measured bandwidth-delay):
     * deliveries of up to a megabyte each arrive without waiting for window updates.
     */
    static final int FLOW_CONTROL_WINDOW = 8 << 20;

    /** Server frames the session asks the transport for ahead of handling them (requested again a quarter at a time). */
    static final int FRAMES_REQUESTED_AHEAD = 256;

    private static final long PING_DEADLINE_MILLIS = 5_000;
    /**
     * Shortest ping of a connect attempt near its deadline: a fresh channel's first call (TCP, HTTP/2
     * and, with TLS, a handshake, on a cold JVM) can take some hundred milliseconds on a live broker.
     */
    private static final long MIN_PING_DEADLINE_MILLIS = 1_000;

    interface Listener {
        /** A new session is open; called with the send lock held. */
        void onConnected(int epoch);

        void onFrame(ServerFrame frame, int epoch);

        /** The session broke; a reconnect is scheduled. */
        void onDisconnected(GmqException cause);
    }

    private final List<String> addresses;
    private final ClientConfig config;
    private final ScheduledExecutorService scheduler;
    /** Opens a channel to one address: Netty in production, for example grpc in-process in tests. */
    private final Function<String, ManagedChannel> channels;

    private final TimeSource time;
    private Listener listener;

    private ManagedChannel channel;
    private String address;
    private int addressIndex;
    private StreamObserver<ClientFrame> requests;
    private int epoch;
    private boolean connected;
    private boolean closed;
    /** Delays of the reconnect schedule (guarded by this). */
    private final ReconnectBackoff backoff;

    private boolean reconnectScheduled;
    /**
     * Set while disconnected because the broker refused this client's credentials (a revoked
     * token): unary calls fail with it at once instead of waiting for a reconnect that cannot work
     * until an operator restores the token. Reconnect attempts continue; a successful one clears it.
     */
    private GmqException authFailure;

    BrokerConnection(
            ClientConfig config,
            ScheduledExecutorService scheduler,
            Function<String, ManagedChannel> channels,
            TimeSource time) {
        this.addresses = config.addresses();
        this.config = config;
        this.scheduler = scheduler;
        this.channels = channels;
        this.time = time;
        this.backoff = ReconnectBackoff.withRandomJitter(backoffCapMillis(config));
    }

    private static long backoffCapMillis(ClientConfig config) {
        return Math.max(1, config.reconnectBackoffMax().toMillis());
    }

    /** The channel a production client opens to {@code address}: Netty, with the config's TLS and token. */
    static Function<String, ManagedChannel> nettyChannels(ClientConfig config) {
        return addr -> NettyChannelBuilder.forTarget(addr, config.security().credentials())
                .intercept(config.security().tokenInterceptor())
                .maxInboundMessageSize(Integer.MAX_VALUE)
                .initialFlowControlWindow(FLOW_CONTROL_WINDOW)
                .keepAliveTime(10, TimeUnit.SECONDS)
                .keepAliveTimeout(5, TimeUnit.SECONDS)
                .keepAliveWithoutCalls(true)
                .build();
    }

    void listener(Listener l) {
        this.listener = l;
    }

    /**
     * Connects to the first address that answers, trying them all again after a backoff delay
     * until {@link ClientConfig#connectTimeout()} has passed (at least one round). Then throws the
     * last UNAVAILABLE ("cannot reach GMQ broker at host:port: ..."). A refused token
     * (UNAUTHENTICATED) or a failed TLS handshake is thrown at once: neither fixes itself.
     */
    synchronized void start() {
        long deadline = time.nanoTime() + config.connectTimeout().toNanos();
        ReconnectBackoff delays = ReconnectBackoff.withRandomJitter(backoffCapMillis(config));
        while (true) {
            GmqException last = null;
            for (int i = 0; i < addresses.size(); i++) {
                try {
                    // connectTimeout zero: one full attempt per address, the ping with its usual deadline.
                    install(config.connectTimeout().isZero() ? probe(i) : probe(i, deadline), i);
                    return;
                } catch (GmqException e) {
                    if (e.code() == ErrorCode.UNAUTHENTICATED || failedTlsHandshake(e)) {
                        throw e;
                    }
                    last = e;
                }
            }
            long remaining = deadline - time.nanoTime();
            if (remaining <= 0) {
                throw last;
            }
            long delay = Math.min(TimeUnit.MILLISECONDS.toNanos(delays.nextDelayMillis()), remaining);
            try {
                // The caller's thread waits out the backoff: connect() is a blocking call by contract.
                TimeUnit.NANOSECONDS.sleep(delay);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new GmqException(ErrorCode.UNAVAILABLE, "interrupted while connecting to " + addresses, e);
            }
        }
    }

    synchronized boolean isConnected() {
        return connected;
    }

    synchronized int epoch() {
        return epoch;
    }

    synchronized String address() {
        return address;
    }

    /** Writes a frame on the current session; false (frame not sent) while disconnected. */
    synchronized boolean send(ClientFrame frame) {
        if (!connected) {
            return false;
        }
        try {
            requests.onNext(frame);
            return true;
        } catch (RuntimeException e) {
            LOG.debug("send failed: {}", e.toString());
            return false;
        }
    }

    /** A unary call on the current broker, waiting for a reconnect (up to the request timeout) if needed. */
    <T> T unary(Function<GmqBrokerGrpc.GmqBrokerBlockingStub, T> call) {
        long deadline = time.nanoTime() + config.requestTimeout().toNanos();
        while (true) {
            ManagedChannel ch;
            String addr;
            synchronized (this) {
                while (!connected && !closed && authFailure == null && time.nanoTime() < deadline) {
                    try {
                        wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - time.nanoTime())));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new GmqException(ErrorCode.UNAVAILABLE, "interrupted while waiting for a broker");
                    }
                }
                if (closed) {
                    throw new GmqException(ErrorCode.UNAVAILABLE, "client is closed");
                }
                if (!connected && authFailure != null) {
                    throw new GmqException(ErrorCode.UNAUTHENTICATED, authFailure.getMessage(), authFailure);
                }
                if (!connected) {
                    throw new GmqException(
                            ErrorCode.UNAVAILABLE,
                            "no GMQ broker reachable at " + addresses + " within "
                                    + config.requestTimeout().toMillis() + " ms");
                }
                ch = channel;
                addr = address;
            }
            long remaining = deadline - time.nanoTime();
            try {
                return call.apply(GmqBrokerGrpc.newBlockingStub(ch)
                        .withDeadlineAfter(Math.max(1, remaining), TimeUnit.NANOSECONDS));
            } catch (StatusRuntimeException e) {
                GmqException g = GrpcErrors.toGmq(e);
                if (g.code() != ErrorCode.UNAVAILABLE || time.nanoTime() >= deadline) {
                    throw g.code() == ErrorCode.UNAVAILABLE ? unreachable(addr, e) : g;
                }
                sessionBroken(epochOf(ch), g);
            }
        }
    }

    private synchronized int epochOf(ManagedChannel ch) {
        return ch == channel ? epoch : -1;
    }

    /**
     * A channel to addresses[index] whose broker answered a ping. Blocking, and called without
     * the lock held, so publishers and ackers are not stalled by a slow or black-holed address.
     */
    private ManagedChannel probe(int index) {
        return probe(index, Long.MAX_VALUE);
    }

    /** As {@link #probe(int)}, the ping waiting no longer than until {@code deadlineNanos} (at least 100 ms). */
    private ManagedChannel probe(int index, long deadlineNanos) {
        String addr = addresses.get(index);
        ManagedChannel ch = channels.apply(addr);
        long pingMillis = PING_DEADLINE_MILLIS;
        if (deadlineNanos != Long.MAX_VALUE) {
            long left = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - time.nanoTime());
            pingMillis = Math.max(MIN_PING_DEADLINE_MILLIS, Math.min(PING_DEADLINE_MILLIS, left));
        }
        try {
            GmqBrokerGrpc.newBlockingStub(ch)
                    .withDeadlineAfter(pingMillis, TimeUnit.MILLISECONDS)
                    .ping(Heartbeat.getDefaultInstance());
        } catch (StatusRuntimeException e) {
            ch.shutdownNow();
            if (e.getStatus().getCode() == io.grpc.Status.Code.UNAUTHENTICATED) {
                // A wrong or missing token will not fix itself by retrying: say so at once.
                throw GrpcErrors.toGmq(e);
            }
            throw unreachable(addr, e, pingMillis);
        }
        return ch;
    }

    /** Makes {@code ch} the current channel and opens its session; lock held. */
    private void install(ManagedChannel ch, int index) {
        String addr = addresses.get(index);
        if (channel != null) {
            channel.shutdownNow();
        }
        int myEpoch = ++epoch;
        channel = ch;
        address = addr;
        addressIndex = index;
        requests = GmqBrokerGrpc.newStub(ch).session(new ClientResponseObserver<ClientFrame, ServerFrame>() {
            private ClientCallStreamObserver<ClientFrame> call;
            private int handled;

            @Override
            public void beforeStart(ClientCallStreamObserver<ClientFrame> requestStream) {
                call = requestStream;
                requestStream.disableAutoRequestWithInitial(FRAMES_REQUESTED_AHEAD);
            }

            @Override
            public void onNext(ServerFrame f) {
                if (isCurrent(myEpoch)) {
                    listener.onFrame(f, myEpoch);
                }
                // Frames are asked for in batches: one request per frame is a task on the
                // connection's event loop each (mostly a wake-up at low rates).
                if (++handled == FRAMES_REQUESTED_AHEAD / 4) {
                    call.request(handled);
                    handled = 0;
                }
            }

            @Override
            public void onError(Throwable t) {
                sessionBroken(myEpoch, GrpcErrors.toGmq(t));
            }

            @Override
            public void onCompleted() {
                sessionBroken(
                        myEpoch, new GmqException(ErrorCode.UNAVAILABLE, "broker " + addr + " ended the session"));
            }
        });
        connected = true;
        authFailure = null;
        backoff.reset();
        LOG.debug("connected to GMQ broker {}", addr);
        listener.onConnected(myEpoch);
        notifyAll();
    }

    private synchronized boolean isCurrent(int e) {
        return connected && epoch == e;
    }

    private void sessionBroken(int brokenEpoch, GmqException cause) {
        synchronized (this) {
            if (closed || !connected || brokenEpoch != epoch) {
                return;
            }
            connected = false;
            if (cause.code() == ErrorCode.UNAUTHENTICATED) {
                authFailure = cause;
            }
            notifyAll();
            LOG.info("lost GMQ broker {}: {}; reconnecting", address, cause.getMessage());
        }
        listener.onDisconnected(cause);
        scheduleReconnect();
    }

    private synchronized void scheduleReconnect() {
        if (closed || reconnectScheduled) {
            return;
        }
        reconnectScheduled = true;
        long delay = backoff.nextDelayMillis();
        scheduler.schedule(this::reconnect, delay, TimeUnit.MILLISECONDS);
    }

    private void reconnect() {
        int from;
        synchronized (this) {
            reconnectScheduled = false;
            if (closed || connected) {
                return;
            }
            from = addressIndex;
        }
        // Try the next broker first: the current one just failed.
        for (int i = 1; i <= addresses.size(); i++) {
            int index = (from + i) % addresses.size();
            ManagedChannel ch;
            try {
                ch = probe(index);
            } catch (GmqException e) {
                LOG.debug("reconnect to {} failed: {}", addresses.get(index), e.getMessage());
                if (e.code() == ErrorCode.UNAUTHENTICATED) {
                    synchronized (this) {
                        authFailure = e;
                        notifyAll();
                    }
                }
                continue;
            }
            synchronized (this) {
                if (closed || connected) {
                    ch.shutdownNow();
                    return;
                }
                install(ch, index);
                return;
            }
        }
        scheduleReconnect();
    }

    /** Whether {@code e} comes from a TLS handshake the broker or this client refused (wrong CA, no certificate). */
    private static boolean failedTlsHandshake(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException) {
                return true;
            }
        }
        return false;
    }

    /** "cannot reach GMQ broker at host:port: connection refused" */
    static GmqException unreachable(String addr, Throwable t) {
        return unreachable(addr, t, PING_DEADLINE_MILLIS);
    }

    /** As {@link #unreachable(String, Throwable)}, for a ping that waited {@code pingMillis}. */
    static GmqException unreachable(String addr, Throwable t, long pingMillis) {
        Throwable root = t;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String reason = root == t ? GrpcErrors.toGmq(t).getMessage() : root.getMessage();
        if (reason == null) {
            reason = root.getClass().getSimpleName();
        }
        String lower = reason.toLowerCase(Locale.ROOT);
        if (lower.contains("connection refused")) {
            reason = "connection refused";
        } else if (lower.contains("deadline")) {
            reason = "no answer within " + pingMillis + " ms";
        }
        return new GmqException(ErrorCode.UNAVAILABLE, "cannot reach GMQ broker at " + addr + ": " + reason, t);
    }

    @Override
    public void close() {
        ManagedChannel ch;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            if (connected) {
                try {
                    requests.onCompleted();
                } catch (RuntimeException ignored) {
                    // already broken
                }
            }
            connected = false;
            ch = channel;
            notifyAll();
        }
        if (ch != null) {
            ch.shutdown();
            try {
                if (!ch.awaitTermination(2, TimeUnit.SECONDS)) {
                    ch.shutdownNow();
                }
            } catch (InterruptedException e) {
                ch.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }
}
