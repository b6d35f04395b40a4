package io.gmq.net.security;

import io.gmq.GmqException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Resource limits of one gRPC listener, each with a safe default (see {@link #defaults()} and
 * docs/SECURITY.md). The message size limit is not here: it follows {@code GmqConfig.maxBatchBytes}
 * so that the server refuses an oversized message from its length prefix, before buffering it.
 *
 * @param maxConnections open connections of the listener; the next ones are closed at accept
 * @param maxConnectionsPerIp open connections from one remote address; the next ones are closed at accept
 * @param maxConcurrentCallsPerConnection HTTP/2 streams one connection may have open at once
 * @param maxInboundMetadataBytes total size of the headers of one call
 * @param maxInFlightPublishesPerSession publish batches a client session may have unanswered
 *     before the broker stops reading it (backpressure, not an error)
 * @param keepAliveTime how often the server pings a connection that has been quiet
 * @param keepAliveTimeout how long a ping may go unanswered before the connection is closed
 * @param permitKeepAliveTime clients pinging more often than this are disconnected (ping flood)
 * @param maxConnectionIdle a connection without any call for this long is closed
 * @param maxConnectionAge connections are closed gracefully after this age; {@link Duration#ZERO} = never
 * @param maxRstFramesPerWindow HTTP/2 "rapid reset" protection: more RST_STREAM frames than this
 *     from one connection within {@code rstWindow} closes it; 0 turns the protection off
 * @param rstWindow the window of {@code maxRstFramesPerWindow}
 */
public record NetLimits(
        int maxConnections,
        int maxConnectionsPerIp,
        int maxConcurrentCallsPerConnection,
        int maxInboundMetadataBytes,
        int maxInFlightPublishesPerSession,
        Duration keepAliveTime,
        Duration keepAliveTimeout,
        Duration permitKeepAliveTime,
        Duration maxConnectionIdle,
        Duration maxConnectionAge,
        int maxRstFramesPerWindow,
        Duration rstWindow) {

    public static final int DEFAULT_MAX_CONNECTIONS = 1024;
    public static final int DEFAULT_MAX_CONNECTIONS_PER_IP = 128;
    public static final int DEFAULT_MAX_CONCURRENT_CALLS_PER_CONNECTION = 256;
    public static final int DEFAULT_MAX_INBOUND_METADATA_BYTES = 8 * 1024;
    public static final int DEFAULT_MAX_IN_FLIGHT_PUBLISHES_PER_SESSION = 1024;
    public static final Duration DEFAULT_KEEP_ALIVE_TIME = Duration.ofMinutes(1);
    public static final Duration DEFAULT_KEEP_ALIVE_TIMEOUT = Duration.ofSeconds(20);
    /** Clients ping every 10 s (gmq-client, broker to storage): allow that, refuse faster. */
    public static final Duration DEFAULT_PERMIT_KEEP_ALIVE_TIME = Duration.ofSeconds(5);

    public static final Duration DEFAULT_MAX_CONNECTION_IDLE = Duration.ofMinutes(10);
    public static final int DEFAULT_MAX_RST_FRAMES_PER_WINDOW = 200;
    public static final Duration DEFAULT_RST_WINDOW = Duration.ofSeconds(10);

    public NetLimits {
        positive(maxConnections, "maxConnections (--max-connections)");
        positive(maxConnectionsPerIp, "maxConnectionsPerIp (--max-connections-per-ip)");
        positive(maxConcurrentCallsPerConnection, "maxConcurrentCallsPerConnection (--max-calls-per-connection)");
        if (maxInboundMetadataBytes < 1024) {
            throw GmqException.invalidArgument(
                    "maxInboundMetadataBytes (--max-metadata-bytes) must be at least 1024, was "
                            + maxInboundMetadataBytes);
        }
        positive(maxInFlightPublishesPerSession, "maxInFlightPublishesPerSession (--max-in-flight-publishes)");
        positive(keepAliveTime, "keepAliveTime (--keepalive-time)");
        positive(keepAliveTimeout, "keepAliveTimeout");
        positive(permitKeepAliveTime, "permitKeepAliveTime (--permit-keepalive-time)");
        positive(maxConnectionIdle, "maxConnectionIdle (--max-connection-idle)");
        if (maxConnectionAge == null || maxConnectionAge.isNegative()) {
            throw GmqException.invalidArgument("maxConnectionAge (--max-connection-age) must be 0 (never) or positive");
        }
        if (maxRstFramesPerWindow < 0) {
            throw GmqException.invalidArgument("maxRstFramesPerWindow (--max-rst-frames) must be 0 (off) or positive");
        }
        positive(rstWindow, "rstWindow");
    }

    public static NetLimits defaults() {
        return new NetLimits(
                DEFAULT_MAX_CONNECTIONS,
                DEFAULT_MAX_CONNECTIONS_PER_IP,
                DEFAULT_MAX_CONCURRENT_CALLS_PER_CONNECTION,
                DEFAULT_MAX_INBOUND_METADATA_BYTES,
                DEFAULT_MAX_IN_FLIGHT_PUBLISHES_PER_SESSION,
                DEFAULT_KEEP_ALIVE_TIME,
                DEFAULT_KEEP_ALIVE_TIMEOUT,
                DEFAULT_PERMIT_KEEP_ALIVE_TIME,
                DEFAULT_MAX_CONNECTION_IDLE,
                Duration.ZERO,
                DEFAULT_MAX_RST_FRAMES_PER_WINDOW,
                DEFAULT_RST_WINDOW);
    }

    public NetLimits withConnections(int total, int perIp) {
        return new NetLimits(
                total,
                perIp,
                maxConcurrentCallsPerConnection,
                maxInboundMetadataBytes,
                maxInFlightPublishesPerSession,
                keepAliveTime,
                keepAliveTimeout,
                permitKeepAliveTime,
                maxConnectionIdle,
                maxConnectionAge,
                maxRstFramesPerWindow,
                rstWindow);
    }

    public NetLimits withCalls(int callsPerConnection, int metadataBytes, int inFlightPublishes) {
        return new NetLimits(
                maxConnections,
                maxConnectionsPerIp,
                callsPerConnection,
                metadataBytes,
                inFlightPublishes,
                keepAliveTime,
                keepAliveTimeout,
                permitKeepAliveTime,
                maxConnectionIdle,
                maxConnectionAge,
                maxRstFramesPerWindow,
                rstWindow);
    }

    public NetLimits withConnectionLifetime(Duration keepAlive, Duration permitKeepAlive, Duration idle, Duration age) {
        return new NetLimits(
                maxConnections,
                maxConnectionsPerIp,
                maxConcurrentCallsPerConnection,
                maxInboundMetadataBytes,
                maxInFlightPublishesPerSession,
                keepAlive,
                keepAliveTimeout,
                permitKeepAlive,
                idle,
                age,
                maxRstFramesPerWindow,
                rstWindow);
    }

    public NetLimits withRstFramesPerWindow(int frames, Duration window) {
        return new NetLimits(
                maxConnections,
                maxConnectionsPerIp,
                maxConcurrentCallsPerConnection,
                maxInboundMetadataBytes,
                maxInFlightPublishesPerSession,
                keepAliveTime,
                keepAliveTimeout,
                permitKeepAliveTime,
                maxConnectionIdle,
                maxConnectionAge,
                frames,
                window);
    }

    /** Sets every transport-level limit on {@code b} (connections are counted at accept by {@link ListenerTransport}). */
    void applyTo(NettyServerBuilder b) {
        b.maxConcurrentCallsPerConnection(maxConcurrentCallsPerConnection)
                .maxInboundMetadataSize(maxInboundMetadataBytes)
                .keepAliveTime(keepAliveTime.toMillis(), TimeUnit.MILLISECONDS)
                .keepAliveTimeout(keepAliveTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .permitKeepAliveTime(permitKeepAliveTime.toMillis(), TimeUnit.MILLISECONDS)
                .permitKeepAliveWithoutCalls(true)
                .maxConnectionIdle(maxConnectionIdle.toMillis(), TimeUnit.MILLISECONDS);
        if (!maxConnectionAge.isZero()) {
            b.maxConnectionAge(maxConnectionAge.toMillis(), TimeUnit.MILLISECONDS)
                    .maxConnectionAgeGrace(keepAliveTimeout.toMillis(), TimeUnit.MILLISECONDS);
        }
        if (maxRstFramesPerWindow > 0) {
            b.maxRstFramesPerWindow(maxRstFramesPerWindow, (int) Math.max(1, rstWindow.toSeconds()));
        }
    }

    private static void positive(int value, String what) {
        if (value < 1) {
            throw GmqException.invalidArgument(what + " must be positive, was " + value);
        }
    }

    private static void positive(Duration value, String what) {
        if (value == null || value.isNegative() || value.isZero()) {
            throw GmqException.invalidArgument(what + " must be a positive duration, was " + value);
        }
    }
}
