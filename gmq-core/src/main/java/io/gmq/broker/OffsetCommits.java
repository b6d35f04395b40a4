package io.gmq.broker;

import io.gmq.TopicPartition;
import io.gmq.storage.Storage;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Offset commits of a {@link GroupSubscription}: the committed offset of an owned partition is the
 * lowest unacknowledged offset (its {@link DeliveryWindow}'s base), and every partition that moved
 * since its last commit goes to storage in one batched call, fenced by the member id and
 * generation. Storage keeps the higher of two commits, so a commit racing another never moves an
 * offset back.
 *
 * <p>Threads. Runs on the engine's group executor (the periodic commit), on the thread that closes
 * the member (final commit), and on the thread that applies an assignment (hand-over of released
 * partitions). It takes the subscription's monitor to read and update the partitions, never
 * across the storage call, which may block.
 */
final class OffsetCommits {
    /** Logs under the subscription's name, as before commits had a class of its own. */
    private static final Logger LOG = LoggerFactory.getLogger(GroupSubscription.class);

    private final GroupSubscription member;
    private final Storage storage;
    private final String group;

    OffsetCommits(GroupSubscription member, Storage storage) {
        this.member = member;
        this.storage = storage;
        this.group = member.group();
    }

    /**
     * The offsets to commit: for each partition, its lowest unacknowledged offset where that is
     * past what was last committed. Lock held.
     */
    static Map<TopicPartition, Long> progress(Collection<OwnedPartition> partitions) {
        Map<TopicPartition, Long> offsets = new HashMap<>();
        for (OwnedPartition ps : partitions) {
            long c = ps.window.base();
            if (c > ps.committed) {
                offsets.put(ps.tp, c);
            }
        }
        return offsets;
    }

    /** Commits the acknowledged progress of every owned partition. */
    void commitProgress() {
        Map<TopicPartition, Long> offsets;
        synchronized (member) {
            offsets = progress(member.ownedPartitions());
        }
        commit(offsets);
    }

    /**
     * Commits {@code offsets} as the current member and generation; each accepted one becomes the
     * partition's committed offset if it is still owned. Storage rejects those of partitions the
     * member no longer owns.
     */
    void commit(Map<TopicPartition, Long> offsets) {
        if (offsets.isEmpty()) {
            return;
        }
        String mid;
        int gen;
        synchronized (member) {
            mid = member.memberId();
            gen = member.generation();
        }
        Set<TopicPartition> rejected = storage.commitOffsets(group, mid, gen, offsets);
        synchronized (member) {
            for (Map.Entry<TopicPartition, Long> e : offsets.entrySet()) {
                OwnedPartition ps = member.ownedPartition(e.getKey());
                if (ps != null && !rejected.contains(e.getKey())) {
                    ps.committed = Math.max(ps.committed, e.getValue());
                }
            }
        }
        if (!rejected.isEmpty()) {
            LOG.debug("group {} rejected commits of {} for member {} (no longer owner)", group, rejected, mid);
        }
    }
}
