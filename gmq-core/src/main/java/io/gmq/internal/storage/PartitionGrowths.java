package io.gmq.internal.storage;

import io.gmq.GmqException;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import io.gmq.internal.log.LogManager;
import io.gmq.internal.topic.TopicRegistry;
import io.gmq.storage.AppendResult;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Growth of topics' partition counts in local storage: the new count and the boundaries
 * ({@link io.gmq.PartitionGrowth}) are decided with no keyed append in flight
 * ({@link KeyedAppendGate}), so each old partition's boundary is the end of what it had written
 * then; keyed appends routed with a count the topic no longer has are refused.
 */
final class PartitionGrowths {
    private static final Logger LOG = LoggerFactory.getLogger(PartitionGrowths.class);

    private final TopicRegistry topics;
    private final LogManager logs;
    private final KeyedAppendGate gate = new KeyedAppendGate();

    PartitionGrowths(TopicRegistry topics, LogManager logs) {
        this.topics = topics;
        this.logs = logs;
    }

    /**
     * Grows {@code topic} to {@code partitions}, the boundaries read from its logs. With
     * {@code once}, a topic that has that count already is returned unchanged; else that count is
     * INVALID_ARGUMENT like a shrink.
     */
    TopicInfo grow(String topic, int partitions, boolean once) {
        return grow(topic, partitions, once, null);
    }

    /** Grows {@code topic} to {@code partitions} with the given boundaries (same count again: unchanged). */
    TopicInfo grow(String topic, int partitions, List<Long> boundaries) {
        return grow(topic, partitions, true, boundaries);
    }

    private TopicInfo grow(String topic, int partitions, boolean once, List<Long> given) {
        TopicInfo grown = gate.exclusive(() -> {
            if (once) {
                TopicInfo now = topics.find(topic).orElse(null);
                if (now != null && now.partitions() == partitions) {
                    return now;
                }
            }
            TopicInfo before = topics.checkGrowth(topic, partitions);
            List<Long> boundaries = given != null ? given : boundaries(before);
            if (boundaries.size() != before.partitions()) {
                throw GmqException.invalidArgument("growing topic '" + topic + "' from " + before.partitions()
                        + " partitions needs " + before.partitions() + " boundaries, got " + boundaries.size());
            }
            TopicInfo t = topics.grow(topic, partitions, boundaries);
            LOG.info(
                    "grew topic {} from {} to {} partitions, boundaries {}",
                    topic,
                    before.partitions(),
                    partitions,
                    boundaries);
            return t;
        });
        return grown;
    }

    /** Each partition's end as written now (the gate is held: no keyed append is in flight). */
    private List<Long> boundaries(TopicInfo t) {
        Long[] ends = new Long[t.partitions()];
        for (int p = 0; p < ends.length; p++) {
            ends[p] = logs.log(new TopicPartition(t.name(), p)).assignedEnd();
        }
        return List.of(ends);
    }

    /**
     * Runs {@code append} if the batch was routed with {@code tp}'s topic's count (or, with 0, was
     * not routed by key), else the stale-routing refusal.
     */
    CompletableFuture<AppendResult> appendKeyed(
            TopicPartition tp, int routedPartitions, Supplier<CompletableFuture<AppendResult>> append) {
        return gate.admit(tp.topic(), routedPartitions, () -> topics.partitions(tp.topic()), append);
    }
}
