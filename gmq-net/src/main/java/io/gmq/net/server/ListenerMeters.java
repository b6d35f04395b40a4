package io.gmq.net.server;

import io.gmq.net.broker.BrokerService;
import io.gmq.net.security.ConnectionLimiter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;

/**
 * The meters of a process's gRPC listener, read when scraped: {@value #CONNECTIONS} open,
 * {@value #CONNECTIONS_REFUSED} by the connection limits since start, and on a broker (or server)
 * {@value #SESSIONS}, its open client sessions. Removed when the server closes.
 */
final class ListenerMeters implements AutoCloseable {
    static final String CONNECTIONS = "gmq.connections";
    static final String CONNECTIONS_REFUSED = "gmq.connections.refused";
    static final String SESSIONS = "gmq.sessions";

    private final MeterRegistry registry;
    private final List<Meter> meters = new ArrayList<>();

    private ListenerMeters(MeterRegistry registry) {
        this.registry = registry;
    }

    /** Registers the listener's meters; {@code broker} is null for a storage process. */
    static ListenerMeters register(MeterRegistry registry, ConnectionLimiter limiter, BrokerService broker) {
        ListenerMeters m = new ListenerMeters(registry);
        m.meters.add(Gauge.builder(CONNECTIONS, limiter, ConnectionLimiter::openConnections)
                .description("Open connections of the gRPC listener")
                .register(registry));
        m.meters.add(FunctionCounter.builder(CONNECTIONS_REFUSED, limiter, ConnectionLimiter::rejectedConnections)
                .description("Connections closed at accept by --max-connections or --max-connections-per-ip")
                .register(registry));
        if (broker != null) {
            m.meters.add(Gauge.builder(SESSIONS, broker, BrokerService::sessionCount)
                    .description("Open client sessions (Session streams) of the broker")
                    .register(registry));
        }
        return m;
    }

    @Override
    public void close() {
        meters.forEach(registry::remove);
        meters.clear();
    }
}
