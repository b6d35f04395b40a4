package io.gmq.broker;

import io.gmq.GmqConfig;
import io.gmq.TopicPartition;
import io.gmq.internal.log.LogVerifier;
import io.gmq.internal.storage.LocalStorage;
import io.gmq.storage.ReplicaCheckpoint;
import io.gmq.storage.ReplicaStorage;
import io.gmq.storage.Storage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * Local storage for a server process: open a data directory behind the {@link Storage} seam, or
 * check one offline. What lies under the seam (logs, journal, SQLite state) stays internal to core.
 */
public final class Storages {
    private Storages() {}

    /**
     * Opens (creating if needed) {@code config.dataDir()}: recovers its logs, replays a pending
     * commit journal and opens the group state. One process per directory (a file lock says so).
     */
    public static Storage openLocal(GmqConfig config) {
        return LocalStorage.open(config);
    }

    /**
     * Opens {@code config.dataDir()} as one replica of a replicated storage group: the same
     * directory layout and recovery as {@link #openLocal}, driven only by its caller (see
     * {@link ReplicaStorage}). {@code config.timeSource()} should be the clock of the entries being
     * applied, so every replica sees the same times.
     */
    public static ReplicaStorage openReplica(GmqConfig config) {
        return LocalStorage.openReplica(config);
    }

    /**
     * Rebuilds the data directory of {@code config} from the checkpoint {@code checkpoint} in
     * {@code checkpointDir} (whatever the directory held is deleted) and opens it as a replica:
     * the same partitions, group state and member sessions as the replica that wrote it.
     *
     * @throws io.gmq.GmqException DATA_LOSS if the checkpoint is damaged (a file missing or short,
     *                             a partition that does not end where the checkpoint says)
     */
    public static ReplicaStorage openReplica(GmqConfig config, Path checkpointDir, ReplicaCheckpoint checkpoint) {
        return LocalStorage.openReplica(config, checkpointDir, checkpoint);
    }

    /**
     * Reads every segment under {@code dataDir} (only {@code topic}'s if not null) read-only and
     * reports each damaged stretch; what {@code gmq verify} prints.
     */
    public static VerifyReport verify(Path dataDir, String topic) throws IOException {
        LogVerifier.Report r = LogVerifier.verify(dataDir, topic);
        List<Damage> damage = r.damage().stream()
                .map(d -> new Damage(d.partition(), d.describe(), d.losesRecords(), d.toOffset()))
                .toList();
        return new VerifyReport(r.segments(), r.bytes(), damage, r.journalEntries());
    }

    /**
     * The result of {@link #verify}: how much was read, every damaged stretch, and how many commit
     * journal entries the segments were read with (left by an unclean stop; the next start copies
     * them into their segments).
     */
    public record VerifyReport(int segments, long bytes, List<Damage> damage, int journalEntries) {
        public boolean clean() {
            return damage.isEmpty();
        }
    }

    /**
     * One damaged stretch: {@code description} is one line for operators; {@code losesRecords} is
     * false for an index finding (rebuilt at the next start); {@code toOffset} is where reading
     * resumes, -1 for the end of the partition.
     */
    public record Damage(TopicPartition partition, String description, boolean losesRecords, long toOffset) {}
}
