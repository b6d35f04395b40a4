package io.gmq.internal.storage;

import io.gmq.GroupDescription;
import io.gmq.ShareGroupDescription;
import io.gmq.TopicPartition;
import io.gmq.internal.log.PartitionLog;
import io.gmq.internal.share.ShareGroups;
import io.gmq.storage.ShareAcquisition;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** The share-group calls of {@link LocalStorage} that are more than one line. */
final class LocalShareStorage {
    private LocalShareStorage() {}

    /**
     * Acquires now; if nothing was acquirable and the group has handed out every record the log
     * holds, waits for the next record (long poll, up to {@code maxWaitMillis}) and tries once
     * more. With records left that are only not acquirable now (locked, held keys, a full
     * window) it answers empty at once: the caller retries after a tick.
     */
    static CompletableFuture<ShareAcquisition> acquire(
            ShareGroups shares,
            PartitionLog log,
            String group,
            String memberId,
            TopicPartition tp,
            int max,
            long lockMillis,
            long maxWaitMillis) {
        ShareAcquisition now = shares.acquire(group, memberId, tp, max, lockMillis);
        if (now.count() > 0 || maxWaitMillis <= 0) {
            return CompletableFuture.completedFuture(now);
        }
        long next = shares.waitOffset(group, tp);
        if (next < log.highWatermark()) {
            return CompletableFuture.completedFuture(now);
        }
        return log.fetch(next, 1, maxWaitMillis)
                .thenApplyAsync(r ->
                        r.isEmpty() ? ShareAcquisition.EMPTY : shares.acquire(group, memberId, tp, max, lockMillis));
    }

    /** A share group in the shape of an ordered group's description (owner none; committed = share start offset). */
    static GroupDescription asGroupDescription(ShareGroupDescription d) {
        List<GroupDescription.Member> members = new ArrayList<>();
        for (ShareGroupDescription.Member m : d.members()) {
            members.add(new GroupDescription.Member(
                    m.memberId(), m.clientId(), m.topics(), Set.of(), m.lastHeartbeatAgeMillis()));
        }
        List<GroupDescription.PartitionProgress> parts = new ArrayList<>();
        for (ShareGroupDescription.Partition p : d.partitions()) {
            parts.add(new GroupDescription.PartitionProgress(
                    p.topicPartition(), null, p.startOffset(), p.highWatermark(), p.lag()));
        }
        return new GroupDescription(d.group(), 0, members, parts, d);
    }
}
