package io.gmq.broker;

import io.gmq.GmqException;
import io.gmq.PartitionGrowth;
import io.gmq.TimeSource;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key order across partition growths, for one member of a consumer group: records at or past a
 * growth's boundary (and every record of a partition the growth created) are held until the
 * group's committed offsets of all the partitions that existed before the growth have reached
 * their boundaries ({@link PartitionGrowth}). A key that moved to another partition is then not
 * delivered from there before its older records, in its old partition, are acknowledged.
 *
 * <p>The barrier is per topic and coarse: while one growth is not passed, the new records of every
 * partition wait (a short pause of the group, about one commit interval after the old records are
 * acknowledged). Growths pass in order; once passed, a growth costs nothing more. A member whose
 * topic never grew, or whose group passed every growth, holds nothing and asks storage nothing
 * after one check at start.
 *
 * <p>Staleness: the member's view of a topic can miss a growth (made through another broker). A
 * fetch result says the count storage has ({@link io.gmq.storage.FetchResult#topicPartitions()},
 * read after the records); a larger count than known, or an assigned partition past the known
 * count, holds the topic's deliveries until its metadata was read again.
 *
 * <p>Threads: every method but the storage calls runs under the member's monitor (the caller
 * holds it); checks and refreshes run on the engine's group executor and take the monitor to
 * apply their result, then wake the member's fetches.
 */
final class GrowthBarrier {
    private static final Logger LOG = LoggerFactory.getLogger(GroupSubscription.class);

    /** How often a held topic asks storage for the group's committed offsets. */
    static final long CHECK_MILLIS = 50;

    /** Nothing held. */
    static final long NO_HOLD = Long.MAX_VALUE;

    private final GroupSubscription member;
    private final BrokerEngine engine;
    private final TimeSource time;
    private final Map<String, TopicView> topics = new HashMap<>();

    /** What this member knows of a topic's growths and how many of them its group has passed. Guarded by the member. */
    private static final class TopicView {
        TopicInfo info;
        int passed;
        /** A check or refresh is running; no second one starts. */
        boolean busy;
        /** The topic's metadata must be read again before anything of it is delivered. */
        boolean stale;

        long nextCheckNanos;
        /** At least one check has run since the view was made (a fresh member checks once). */
        boolean checked;
    }

    GrowthBarrier(GroupSubscription member, BrokerEngine engine) {
        this.member = member;
        this.engine = engine;
        this.time = engine.time();
    }

    /**
     * The first offset of {@code tp} this member may not deliver now ({@link #NO_HOLD} if none);
     * starts a check or refresh (throttled) when something is held. Lock held.
     */
    long holdFrom(TopicPartition tp) {
        TopicView v = view(tp.topic());
        if (v == null) {
            return 0; // metadata not readable now: hold until it is
        }
        if (tp.partition() >= v.info.partitions()) {
            v.stale = true;
        }
        long hold = v.stale ? 0 : holdFrom(v, tp.partition());
        if (v.stale || (!v.checked && !v.info.growth().isEmpty())) {
            startCheck(tp.topic(), v);
        }
        return hold;
    }

    /** The member stopped delivering {@code tp} at its hold: check (throttled) whether the group passed it. Lock held. */
    void waiting(TopicPartition tp) {
        TopicView v = topics.get(tp.topic());
        if (v != null) {
            startCheck(tp.topic(), v);
        }
    }

    /**
     * A fetch of {@code tp} answered, storage saying the topic has {@code topicPartitions}
     * partitions (0: not said). False when this member has missed a growth: nothing of the
     * result may be delivered, and the topic's metadata is being read again. Lock held.
     */
    boolean knows(TopicPartition tp, int topicPartitions) {
        TopicView v = view(tp.topic());
        if (v == null) {
            return false;
        }
        if (topicPartitions > v.info.partitions()) {
            v.stale = true;
            startCheck(tp.topic(), v);
            return false;
        }
        return !v.stale;
    }

    private static long holdFrom(TopicView v, int partition) {
        List<PartitionGrowth> growth = v.info.growth();
        if (v.passed >= growth.size()) {
            return NO_HOLD;
        }
        PartitionGrowth next = growth.get(v.passed);
        return partition < next.fromPartitions() ? next.boundary(partition) : 0;
    }

    private TopicView view(String topic) {
        TopicView v = topics.get(topic);
        if (v == null) {
            TopicInfo t;
            try {
                t = engine.topic(topic); // cached: no storage call on the delivery path after the first
            } catch (GmqException | RejectedExecutionException e) {
                return null;
            }
            v = new TopicView();
            v.info = t;
            topics.put(topic, v);
        }
        return v;
    }

    /** Reads the topic again if stale, then the group's committed offsets; off the lock. Lock held. */
    private void startCheck(String topic, TopicView v) {
        long now = time.nanoTime();
        if (v.busy || (v.checked && !v.stale && now - v.nextCheckNanos < 0)) {
            return;
        }
        v.busy = true;
        v.nextCheckNanos = now + TimeUnit.MILLISECONDS.toNanos(CHECK_MILLIS);
        boolean refresh = v.stale;
        TopicInfo known = v.info;
        try {
            engine.groupExecutor().execute(() -> check(topic, refresh, known));
        } catch (RejectedExecutionException e) {
            v.busy = false; // the broker is closing
        }
    }

    private void check(String topic, boolean refresh, TopicInfo known) {
        TopicInfo info = known;
        int passed = -1;
        try {
            if (refresh) {
                engine.invalidateTopic(topic);
                info = engine.topic(topic);
            }
            passed = passedGrowths(info);
        } catch (RuntimeException e) {
            LOG.debug("group {} could not check the partition growths of {}: {}", member.group(), topic, e.toString());
        }
        boolean wake = false;
        synchronized (member) {
            TopicView v = topics.get(topic);
            if (v == null) {
                return;
            }
            v.busy = false;
            if (passed < 0) {
                return; // the tick tries again
            }
            if (refresh) {
                v.info = info;
                v.stale = false;
            }
            v.checked = true;
            if (passed > v.passed) {
                LOG.info(
                        "group {} passed partition growth {} of topic {}: new records are delivered",
                        member.group(),
                        passed,
                        topic);
                v.passed = passed;
                wake = true;
            }
            wake |= refresh;
        }
        if (wake) {
            member.wakeUp();
        }
    }

    /**
     * How many of {@code t}'s growths the group has passed: the first {@code n} whose old
     * partitions all have committed offsets at or past their boundaries. One storage call.
     */
    private int passedGrowths(TopicInfo t) {
        List<PartitionGrowth> growth = t.growth();
        if (growth.isEmpty()) {
            return 0;
        }
        int widest = growth.get(growth.size() - 1).fromPartitions();
        List<TopicPartition> old = new ArrayList<>(widest);
        for (int p = 0; p < widest; p++) {
            old.add(new TopicPartition(t.name(), p));
        }
        Map<TopicPartition, Long> committed = engine.storage().committedOffsets(member.group(), old);
        int passed = 0;
        for (PartitionGrowth g : growth) {
            for (int p = 0; p < g.fromPartitions(); p++) {
                Long c = committed.get(old.get(p));
                long b = g.boundary(p);
                if (b > 0 && (c == null || c < b)) {
                    return passed;
                }
            }
            passed++;
        }
        return passed;
    }
}
