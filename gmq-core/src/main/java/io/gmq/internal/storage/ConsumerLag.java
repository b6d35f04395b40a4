package io.gmq.internal.storage;

import io.gmq.TopicPartition;
import io.gmq.internal.group.GroupCoordinator;
import io.gmq.internal.log.LogManager;
import io.gmq.internal.log.PartitionLog;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The gauge {@value #NAME} ({@code group}, {@code topic}, {@code partition}): records of a
 * partition a consumer group has not consumed yet, {@code highWatermark - committed offset}, for
 * every partition the group has committed an offset for.
 *
 * <p>Both numbers are read when the gauge is scraped: the partition log's high watermark, and the
 * committed offset the {@link GroupCoordinator} reported last (it reports every durable change, so
 * nothing is updated on the delivery path). A gauge appears with a group's first commit of a
 * partition and goes when the offset does (topic deleted, group gone) or the storage closes.
 */
final class ConsumerLag implements GroupCoordinator.CommittedOffsetObserver, AutoCloseable {
    static final String NAME = "gmq.consumer.lag";

    private record Key(String group, TopicPartition tp) {}

    /** The last committed offset of one group-partition, and its gauge. */
    private static final class Committed {
        final TopicPartition tp;
        volatile long offset;
        Gauge gauge;

        Committed(TopicPartition tp) {
            this.tp = tp;
        }
    }

    private final MeterRegistry registry;
    private final LogManager logs;
    private final ConcurrentHashMap<Key, Committed> committed = new ConcurrentHashMap<>();
    private volatile boolean closed;

    ConsumerLag(MeterRegistry registry, LogManager logs) {
        this.registry = registry;
        this.logs = logs;
    }

    @Override
    public synchronized void committed(String group, TopicPartition tp, long offset) {
        if (closed) {
            return;
        }
        Key key = new Key(group, tp);
        if (offset < 0) {
            Committed gone = committed.remove(key);
            if (gone != null) {
                registry.remove(gone.gauge);
            }
            return;
        }
        Committed c = committed.computeIfAbsent(key, k -> {
            Committed fresh = new Committed(k.tp());
            fresh.gauge = Gauge.builder(NAME, fresh, this::lag)
                    .description("Records of the partition the consumer group has not committed yet")
                    .baseUnit("records")
                    .tags(
                            "group",
                            k.group(),
                            "topic",
                            k.tp().topic(),
                            "partition",
                            Integer.toString(k.tp().partition()))
                    .strongReference(true)
                    .register(registry);
            return fresh;
        });
        c.offset = offset;
    }

    /** Scrape time: how far the partition's high watermark is past the committed offset (0 if not open). */
    private double lag(Committed c) {
        PartitionLog log = logs.openLog(c.tp);
        return log == null ? 0 : Math.max(0, log.highWatermark() - c.offset);
    }

    /** Removes every gauge (the storage closes). */
    @Override
    public synchronized void close() {
        closed = true;
        for (Key key : List.copyOf(committed.keySet())) {
            Committed c = committed.remove(key);
            if (c != null) {
                registry.remove(c.gauge);
            }
        }
    }
}
