package io.gmq.net.it;

import io.gmq.GroupDescription;
import io.gmq.TopicPartition;
import io.gmq.client.GmqClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * Samples the storage's view of one consumer group through an admin client every few tens of
 * milliseconds, on its own thread, and:
 *
 * <ul>
 *   <li>records every newly seen (member, partition, generation) as a {@code History.assignment}
 *       (so the checker knows a partition changed hands), placed in time at the previous sample
 *       (the earliest moment the change can have happened: a member may receive records of a new
 *       assignment before a sample shows it), and every change of a committed offset as
 *       {@code History.committed} (so the checker sees progress going back, if it ever does);</li>
 *   <li>collects a violation whenever one sample shows two owners of one partition;</li>
 *   <li>collects a commit regression whenever a partition's committed offset is lower than in an
 *       earlier sample (the group state only moves it forward, see GroupState).</li>
 * </ul>
 *
 * A sample that fails (broker switching, group not created yet) is skipped.
 */
final class GroupSampler implements AutoCloseable {
    final List<String> violations = new CopyOnWriteArrayList<>();
    final List<String> commitRegressions = new CopyOnWriteArrayList<>();
    final AtomicInteger samples = new AtomicInteger();
    private final GmqClient admin;
    private final String group;
    private final Recorder recorder;
    private final Thread thread;
    private final Map<TopicPartition, String> lastOwner = new HashMap<>();
    private final Map<TopicPartition, Integer> lastGeneration = new HashMap<>();
    private final Map<TopicPartition, Long> lastCommitted = new HashMap<>();
    private volatile boolean running = true;
    private volatile GroupDescription last;

    GroupSampler(GmqClient admin, String group, Recorder recorder) {
        this.admin = admin;
        this.group = group;
        this.recorder = recorder;
        this.thread = new Thread(this::run, "group-sampler-" + group);
        thread.setDaemon(true);
        thread.start();
    }

    GroupDescription last() {
        return last;
    }

    private void run() {
        // When the last sample's request was sent: a change first seen now happened after that.
        long previousSentAt = System.nanoTime();
        while (running) {
            long sentAt = System.nanoTime();
            try {
                sample(admin.describeGroup(group), previousSentAt);
                previousSentAt = sentAt;
            } catch (RuntimeException e) {
                // no group yet, or the admin's broker is switching: sample again
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(30));
        }
    }

    private void sample(GroupDescription d, long changedAfter) {
        last = d;
        samples.incrementAndGet();
        Map<TopicPartition, String> owner = new HashMap<>();
        for (GroupDescription.Member m : d.members()) {
            for (TopicPartition tp : m.assigned()) {
                String prev = owner.put(tp, m.clientId());
                if (prev != null) {
                    violations.add(
                            tp + " owned by " + prev + " and " + m.clientId() + " in generation " + d.generation());
                }
                if (!m.clientId().equals(lastOwner.get(tp)) || lastGeneration.getOrDefault(tp, -1) != d.generation()) {
                    String consumer = m.clientId();
                    int generation = d.generation();
                    recorder.recordAt(changedAfter, h -> h.assignment(consumer, tp, generation));
                    lastOwner.put(tp, m.clientId());
                    lastGeneration.put(tp, d.generation());
                }
            }
        }
        for (GroupDescription.PartitionProgress p : d.partitions()) {
            Long before = lastCommitted.put(p.topicPartition(), p.committedOffset());
            if (before != null && p.committedOffset() < before) {
                commitRegressions.add(p.topicPartition() + " committed offset went from " + before + " back to "
                        + p.committedOffset() + " (generation " + d.generation() + ")");
            }
            if (p.committedOffset() >= 0 && (before == null || before != p.committedOffset())) {
                long committed = p.committedOffset();
                recorder.record(h -> h.committed(group, p.topicPartition(), committed));
            }
        }
    }

    List<String> memberClientIds() {
        GroupDescription d = last;
        List<String> ids = new ArrayList<>();
        if (d != null) {
            for (GroupDescription.Member m : d.members()) {
                ids.add(m.clientId());
            }
        }
        return ids;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(10_000);
    }
}
