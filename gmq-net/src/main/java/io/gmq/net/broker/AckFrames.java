package io.gmq.net.broker;

import io.gmq.TopicPartition;
import io.gmq.broker.GroupSubscription;
import io.gmq.proto.Acks;
import io.gmq.proto.PartitionOffsets;
import java.util.List;

/**
 * Applies a client's {@code Acks} frame to its member: acked offsets and ranges one lock
 * acquisition per partition, nacks one by one, or nothing at all if any range is malformed. Not
 * thread safe: a session's inbound frames arrive one at a time.
 */
final class AckFrames {
    /** Offsets or ranges of one PartitionOffsets, handed to the member without boxing. */
    private long[] ackScratch = new long[1024];

    /** Why {@code a} is malformed (nothing of it applied), or null once every ack and nack is applied. */
    String apply(GroupSubscription group, Acks a) {
        String bad = invalidRanges(a);
        if (bad != null) {
            return bad;
        }
        if (a.getReleasesCount() + a.getRejectsCount() + a.getRenewsCount() > 0 && !group.isShare()) {
            return "releases, rejects and renews are for members of share groups; group " + group.group()
                    + " is ordered";
        }
        for (PartitionOffsets po : a.getAcksList()) {
            TopicPartition tp = new TopicPartition(po.getTopic(), po.getPartition());
            int n = po.getOffsetsCount();
            if (n > 0) {
                group.ackAll(tp, scratch(po.getOffsetsList(), n), n, po.getGeneration()); // one lock per partition
            }
            int r = po.getRangesCount();
            if (r > 0) {
                group.ackRanges(tp, scratch(po.getRangesList(), r), r / 2, po.getGeneration());
            }
        }
        for (PartitionOffsets po : a.getNacksList()) {
            TopicPartition tp = new TopicPartition(po.getTopic(), po.getPartition());
            boolean delays = po.getNackDelayMillisCount() > 0;
            for (int i = 0; i < po.getOffsetsCount(); i++) {
                long delayMillis = delays ? po.getNackDelayMillis(i) : -1;
                group.nack(tp, po.getOffsets(i), delayMillis < 0 ? -1 : delayMillis * 1_000_000L);
            }
        }
        if (a.getReleasesCount() + a.getRejectsCount() + a.getRenewsCount() > 0) {
            for (PartitionOffsets po : a.getReleasesList()) {
                TopicPartition tp = new TopicPartition(po.getTopic(), po.getPartition());
                po.getOffsetsList().forEach(o -> group.release(tp, o));
            }
            for (PartitionOffsets po : a.getRejectsList()) {
                TopicPartition tp = new TopicPartition(po.getTopic(), po.getPartition());
                po.getOffsetsList().forEach(o -> group.reject(tp, o));
            }
            for (PartitionOffsets po : a.getRenewsList()) {
                TopicPartition tp = new TopicPartition(po.getTopic(), po.getPartition());
                po.getOffsetsList().forEach(o -> group.renew(tp, o));
            }
        }
        return null;
    }

    private long[] scratch(List<Long> values, int n) {
        if (ackScratch.length < n) {
            ackScratch = new long[Math.max(n, ackScratch.length * 2)];
        }
        if (values instanceof com.google.protobuf.Internal.LongList longs) {
            for (int i = 0; i < n; i++) {
                ackScratch[i] = longs.getLong(i); // protobuf's own long[]: no boxing
            }
        } else {
            for (int i = 0; i < n; i++) {
                ackScratch[i] = values.get(i);
            }
        }
        return ackScratch;
    }

    /** Why the ack ranges of {@code a} are malformed, or null if they are well formed. */
    private static String invalidRanges(Acks a) {
        for (PartitionOffsets po : a.getAcksList()) {
            int r = po.getRangesCount();
            if (r % 2 != 0) {
                return "ack ranges of " + po.getTopic() + "-" + po.getPartition() + " hold " + r
                        + " values; ranges are pairs (from, to)";
            }
            for (int i = 0; i < r; i += 2) {
                if (po.getRanges(i + 1) < po.getRanges(i) || po.getRanges(i) < 0) {
                    return "ack range [" + po.getRanges(i) + ", " + po.getRanges(i + 1) + ") of " + po.getTopic() + "-"
                            + po.getPartition() + " is not a range of offsets";
                }
            }
        }
        for (PartitionOffsets po : a.getNacksList()) {
            if (po.getRangesCount() > 0) {
                return "nacks name offsets, not ranges (" + po.getTopic() + "-" + po.getPartition() + ")";
            }
            int d = po.getNackDelayMillisCount();
            if (d > 0 && d != po.getOffsetsCount()) {
                return "nacks of " + po.getTopic() + "-" + po.getPartition() + " carry " + d + " delays for "
                        + po.getOffsetsCount() + " offsets; give one delay per offset or none";
            }
            for (int i = 0; i < d; i++) {
                long ms = po.getNackDelayMillis(i);
                if (ms < -1 || ms > Long.MAX_VALUE / 1_000_000L) {
                    return "nack delay " + ms + " ms of " + po.getTopic() + "-" + po.getPartition()
                            + " is not a delay; give 0 or more milliseconds, or -1 for the backoff";
                }
            }
        }
        for (PartitionOffsets po : a.getAcksList()) {
            if (po.getNackDelayMillisCount() > 0) {
                return "acks carry no nack delays (" + po.getTopic() + "-" + po.getPartition() + ")";
            }
        }
        return null;
    }
}
