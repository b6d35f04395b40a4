package io.gmq.broker;

import io.gmq.TopicPartition;
import io.micrometer.core.instrument.Clock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.noop.NoopCounter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one {@link BrokerEngine} (docs/OPERATIONS.md, "Metrics", has their Prometheus
 * names):
 *
 * <ul>
 *   <li>{@value #PUBLISH_LATENCY}: from a QoS 1 batch reaching the engine to its append being
 *       durable (a timer with a percentile histogram), per batch;
 *   <li>{@value #DELIVERIES}, {@value #REDELIVERIES} and {@value #DEAD_LETTERED} per
 *       {@code group} and {@code topic}: records handed to members the first time (a partition's
 *       new owner delivers again from the committed offset: those count here), again after an
 *       ack timeout or a nack, and moved to the dead-letter topic;
 *   <li>{@value #IN_FLIGHT} per {@code group}, {@code topic} and {@code partition}: records
 *       delivered and not acknowledged yet, read from the partition's {@link DeliveryWindow}
 *       when scraped.
 * </ul>
 *
 * <p>A group's counters are resolved when a member joins (each {@link OwnedPartition} keeps its
 * topic's) and counted per delivery, not per record; they are removed when the last member of the
 * group on this engine leaves. An in-flight gauge exists while a member here owns the partition.
 * Without a registry ({@link #NONE}) every counter is a no-op and nothing is timed.
 *
 * <p>Threads: joins, leaves and ownership changes take this object's monitor, never while
 * holding it take a member's. A gauge read takes the owning member's monitor (so it sees the
 * window as the member left it), never this one.
 */
final class BrokerMetrics implements AutoCloseable {
    static final String PUBLISH_LATENCY = "gmq.publish.latency";
    static final String DELIVERIES = "gmq.deliveries";
    static final String REDELIVERIES = "gmq.redeliveries";
    static final String DEAD_LETTERED = "gmq.dead.lettered";
    static final String IN_FLIGHT = "gmq.consumer.inflight";

    static final BrokerMetrics NONE = new BrokerMetrics(null);

    /** The counters of one group and topic, shared by the group's members on this engine. */
    static final class GroupCounters {
        static final GroupCounters NONE =
                new GroupCounters(null, noop(DELIVERIES), noop(REDELIVERIES), noop(DEAD_LETTERED));

        final Counter deliveries;
        final Counter redeliveries;
        final Counter deadLettered;
        private final GroupTopic key;
        /** Members holding these counters (guarded by the metrics object). */
        private int holders;

        private GroupCounters(GroupTopic key, Counter deliveries, Counter redeliveries, Counter deadLettered) {
            this.key = key;
            this.deliveries = deliveries;
            this.redeliveries = redeliveries;
            this.deadLettered = deadLettered;
        }

        private static Counter noop(String name) {
            return new NoopCounter(new Meter.Id(name, Tags.empty(), null, null, Meter.Type.COUNTER));
        }
    }

    private record GroupTopic(String group, String topic) {}

    private record GroupPartition(String group, TopicPartition tp) {}

    private record Owner(GroupSubscription member, OwnedPartition partition) {}

    /** The in-flight gauge of one group-partition and the members here that own it (normally one). */
    private static final class InFlight {
        volatile Owner[] owners = new Owner[0];
        Gauge gauge;

        /** Scrape time: the owners' unacknowledged records, each read under its member's monitor. */
        double value() {
            long total = 0;
            for (Owner o : owners) {
                synchronized (o.member()) {
                    if (o.partition().active) {
                        total += o.partition().window.inFlight();
                    }
                }
            }
            return total;
        }
    }

    private final MeterRegistry registry;
    private final Clock clock;
    private final Timer publishLatency;
    // guarded by this
    private final Map<GroupTopic, GroupCounters> groups = new HashMap<>();
    private final Map<GroupPartition, InFlight> inFlight = new HashMap<>();

    private BrokerMetrics(MeterRegistry registry) {
        this.registry = registry;
        if (registry == null) {
            clock = null;
            publishLatency = null;
            return;
        }
        clock = registry.config().clock();
        publishLatency = Timer.builder(PUBLISH_LATENCY)
                .description("From a QoS 1 publish batch reaching the broker to its append being durable")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(30))
                .register(registry);
    }

    static BrokerMetrics of(MeterRegistry registry) {
        return registry == null ? NONE : new BrokerMetrics(registry);
    }

    boolean enabled() {
        return registry != null;
    }

    // ---- publishing ------------------------------------------------------------------------------

    /** The registry clock's monotonic time, to pass to {@link #published}; 0 without a registry. */
    long startTimer() {
        return registry == null ? 0 : clock.monotonicTime();
    }

    /** A durable append that started at {@code startNanos} ({@link #startTimer}) completed. */
    void published(long startNanos) {
        publishLatency.record(clock.monotonicTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    // ---- consumer groups -------------------------------------------------------------------------

    /** The counters of {@code group} for each of {@code topics}, held until {@link #release}. */
    synchronized Map<String, GroupCounters> join(String group, Iterable<String> topics) {
        Map<String, GroupCounters> held = new HashMap<>();
        for (String topic : topics) {
            if (registry == null) {
                held.put(topic, GroupCounters.NONE);
                continue;
            }
            GroupCounters c = groups.computeIfAbsent(new GroupTopic(group, topic), this::register);
            c.holders++;
            held.put(topic, c);
        }
        return held;
    }

    private GroupCounters register(GroupTopic key) {
        Tags tags = Tags.of("group", key.group(), "topic", key.topic());
        return new GroupCounters(
                key,
                Counter.builder(DELIVERIES)
                        .description("Records delivered to members of the group for the first time")
                        .tags(tags)
                        .register(registry),
                Counter.builder(REDELIVERIES)
                        .description("Records delivered again after an ack timeout or a nack")
                        .tags(tags)
                        .register(registry),
                Counter.builder(DEAD_LETTERED)
                        .description("Records moved to the dead-letter topic after maxDeliveries")
                        .tags(tags)
                        .register(registry));
    }

    /** A member that held {@code counters} left; the last one out removes them. */
    synchronized void release(Map<String, GroupCounters> counters) {
        for (GroupCounters c : counters.values()) {
            if (c.key != null && --c.holders == 0 && groups.remove(c.key, c)) {
                registry.remove(c.deliveries);
                registry.remove(c.redeliveries);
                registry.remove(c.deadLettered);
            }
        }
    }

    /** {@code member} now owns {@code ps}: its in-flight records count in the partition's gauge. */
    void owned(GroupSubscription member, OwnedPartition ps) {
        if (registry == null) {
            return;
        }
        synchronized (this) {
            GroupPartition key = new GroupPartition(member.group(), ps.tp);
            InFlight g = inFlight.computeIfAbsent(key, this::register);
            Owner[] owners = Arrays.copyOf(g.owners, g.owners.length + 1);
            owners[owners.length - 1] = new Owner(member, ps);
            g.owners = owners;
        }
    }

    private InFlight register(GroupPartition key) {
        InFlight g = new InFlight();
        g.gauge = Gauge.builder(IN_FLIGHT, g, InFlight::value)
                .description("Records delivered to the group's member and not acknowledged yet")
                .baseUnit("records")
                .tags(
                        "group",
                        key.group(),
                        "topic",
                        key.tp().topic(),
                        "partition",
                        Integer.toString(key.tp().partition()))
                .strongReference(true)
                .register(registry);
        return g;
    }

    /** {@code member} no longer owns {@code ps}; the gauge goes with the partition's last owner here. */
    void released(GroupSubscription member, OwnedPartition ps) {
        if (registry == null) {
            return;
        }
        synchronized (this) {
            GroupPartition key = new GroupPartition(member.group(), ps.tp);
            InFlight g = inFlight.get(key);
            if (g == null) {
                return;
            }
            List<Owner> rest = new ArrayList<>(List.of(g.owners));
            rest.removeIf(o -> o.partition() == ps);
            if (rest.isEmpty()) {
                inFlight.remove(key);
                registry.remove(g.gauge);
            } else {
                g.owners = rest.toArray(new Owner[0]);
            }
        }
    }

    /** Removes every meter (the engine closes). */
    @Override
    public synchronized void close() {
        if (registry == null) {
            return;
        }
        registry.remove(publishLatency);
        for (GroupCounters c : groups.values()) {
            registry.remove(c.deliveries);
            registry.remove(c.redeliveries);
            registry.remove(c.deadLettered);
        }
        groups.clear();
        for (InFlight g : inFlight.values()) {
            registry.remove(g.gauge);
        }
        inFlight.clear();
    }
}
