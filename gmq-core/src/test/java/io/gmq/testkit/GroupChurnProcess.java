package io.gmq.testkit;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GroupDescription;
import io.gmq.TopicPartition;
import io.gmq.internal.storage.LocalStorage;
import io.gmq.storage.GroupMembership;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * A process that churns one consumer group through {@link LocalStorage} as fast as it can: join,
 * a few heartbeat + commit rounds, leave, again. It is the group's only member, so it owns every
 * partition, and each commit moves all {@link #PARTITIONS} partitions to the same new value in one
 * transaction. After each acknowledged commit it prints {@code COMMIT <value>}; crash tests kill it
 * with SIGKILL and check the database against those lines.
 *
 * <p>On start it removes members a killed predecessor left behind and continues from the highest
 * committed value. Arguments: data directory.
 */
public final class GroupChurnProcess {
    public static final String TOPIC = "churn";
    public static final String GROUP = "churners";
    public static final int PARTITIONS = 4;
    /** Commit rounds per membership before the member leaves and joins again. */
    static final int ROUNDS_PER_MEMBERSHIP = 5;

    private GroupChurnProcess() {}

    /** The configuration the process and its checker open the data directory with. */
    public static GmqConfig config(java.nio.file.Path dir) {
        return GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build();
    }

    public static Set<TopicPartition> partitions() {
        Set<TopicPartition> all = new java.util.LinkedHashSet<>();
        for (int p = 0; p < PARTITIONS; p++) {
            all.add(new TopicPartition(TOPIC, p));
        }
        return all;
    }

    public static void main(String[] args) {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        LocalStorage storage = LocalStorage.open(config(Paths.get(args[0])));
        storage.createTopic(TOPIC, PARTITIONS);
        if (storage.listGroups().contains(GROUP)) {
            for (GroupDescription.Member m : storage.describeGroup(GROUP).members()) {
                storage.leaveGroup(GROUP, m.memberId());
            }
        }
        long value = storage.committedOffsets(GROUP, partitions()).values().stream()
                .mapToLong(Long::longValue)
                .max()
                .orElse(0);
        out.println("READY " + value);
        out.flush();
        while (true) {
            GroupMembership m = storage.joinGroup(GROUP, "churner", Set.of(TOPIC), 30_000);
            for (int round = 0; round < ROUNDS_PER_MEMBERSHIP; round++) {
                m = storage.heartbeat(GROUP, m.memberId(), m.generation(), m.assigned());
                value++;
                Map<TopicPartition, Long> offsets = new HashMap<>();
                for (TopicPartition tp : partitions()) {
                    offsets.put(tp, value);
                }
                Set<TopicPartition> rejected = storage.commitOffsets(GROUP, m.memberId(), m.generation(), offsets);
                if (!rejected.isEmpty()) {
                    throw new IllegalStateException("sole member had commits rejected: " + rejected);
                }
                out.println("COMMIT " + value);
                out.flush();
            }
            storage.leaveGroup(GROUP, m.memberId());
        }
    }
}
