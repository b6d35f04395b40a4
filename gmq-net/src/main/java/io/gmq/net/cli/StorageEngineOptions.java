package io.gmq.net.cli;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.VerifyOnStartup;
import java.nio.file.Path;
import java.time.Duration;
import picocli.CommandLine.Option;

/**
 * Settings of the storage engine (logs, topics, the data directory) of the {@code server} and
 * {@code storage} commands. A broker has no log: it takes none of them (docs/OPERATIONS.md,
 * "Configuration", says which process uses each setting). Defaults are {@link GmqConfig}'s.
 */
final class StorageEngineOptions {
    @Option(
            names = "--data-dir",
            defaultValue = "./gmq-data",
            description = "Data directory (default ${DEFAULT-VALUE}).")
    Path dataDir;

    @Option(
            names = "--flush",
            defaultValue = "sync",
            converter = SettingSyntax.Flush.class,
            description =
                    "When appends reach the disk: sync (fsync before ack), os, or an interval in ms (default ${DEFAULT-VALUE}).")
    FlushPolicy flush;

    @Option(
            names = "--partitions-default",
            defaultValue = "3",
            description = "Partitions of an auto-created topic (default ${DEFAULT-VALUE}).")
    int partitionsDefault;

    @Option(
            names = "--verify-on-startup",
            defaultValue = "UNFLUSHED",
            description = "Frame-by-frame check of the log at start: NONE, UNFLUSHED (after an unclean"
                    + " shutdown, segments written since the last verified start) or ALL (default ${DEFAULT-VALUE}).")
    VerifyOnStartup verifyOnStartup;

    @Option(
            names = "--journal-file-bytes",
            defaultValue = "67108864",
            paramLabel = "BYTES",
            converter = SettingSyntax.Bytes.class,
            description = "With --flush sync: size of a commit journal file, which makes a group commit over"
                    + " several partitions durable with one fsync; 0 turns the journal off (default ${DEFAULT-VALUE}).")
    long journalFileBytes;

    @Option(
            names = "--segment-bytes",
            defaultValue = "128MiB",
            paramLabel = "BYTES",
            converter = SettingSyntax.Bytes.class,
            description = "A segment rolls when it would pass this size; 1KiB..2GiB (default ${DEFAULT-VALUE}).")
    long segmentBytes;

    @Option(
            names = "--segment-age",
            defaultValue = "7d",
            paramLabel = "DURATION",
            converter = SettingSyntax.Time.class,
            description =
                    "A non-empty segment rolls when its first batch is older than this (default ${DEFAULT-VALUE}).")
    Duration segmentAge;

    @Option(
            names = "--retention-age",
            defaultValue = "7d",
            paramLabel = "DURATION|forever",
            converter = SettingSyntax.RetentionAge.class,
            description = "Whole segments whose newest record is older than this are deleted; forever keeps"
                    + " them (default ${DEFAULT-VALUE}).")
    Duration retentionAge;

    @Option(
            names = "--retention-bytes",
            defaultValue = "-1",
            paramLabel = "BYTES",
            converter = SettingSyntax.Bytes.class,
            description = "Oldest segments are deleted while a partition holds more than this; -1 is no limit"
                    + " (default ${DEFAULT-VALUE}).")
    long retentionBytes;

    @Option(
            names = "--retention-check-interval",
            defaultValue = "30s",
            paramLabel = "DURATION",
            converter = SettingSyntax.Time.class,
            description = "How often retention and segment age are checked (default ${DEFAULT-VALUE}).")
    Duration retentionCheckInterval;

    @Option(
            names = "--index-interval-bytes",
            defaultValue = "4096",
            paramLabel = "BYTES",
            converter = SettingSyntax.IntBytes.class,
            description = "One sparse index entry per this many bytes of log; at least 64 (default ${DEFAULT-VALUE}).")
    int indexIntervalBytes;

    @Option(
            names = "--append-queue-capacity",
            defaultValue = "16384",
            paramLabel = "N",
            description = "Append requests the log writer queues (all partitions together) before publishers"
                    + " wait: the log's back-pressure; 2..16777216 (default ${DEFAULT-VALUE}).")
    int appendQueueCapacity;

    @Option(
            names = "--max-topics",
            paramLabel = "N",
            defaultValue = "10000",
            description = "Topics in total (default ${DEFAULT-VALUE}).")
    int maxTopics;

    @Option(
            names = "--max-partitions-per-topic",
            paramLabel = "N",
            defaultValue = "1024",
            description = "Partitions of one topic (default ${DEFAULT-VALUE}).")
    int maxPartitionsPerTopic;

    @Option(
            names = "--max-open-files",
            paramLabel = "N",
            description = "Segment files the log keeps open at once; idle ones close and reopen on use"
                    + " (default: half of ulimit -n, 4096 where the JVM cannot read it).")
    Integer maxOpenFiles;

    GmqConfig.Builder applyTo(GmqConfig.Builder b) {
        b.dataDir(dataDir)
                .flushPolicy(flush)
                .defaultPartitions(partitionsDefault)
                .verifyOnStartup(verifyOnStartup)
                .journalFileBytes(journalFileBytes)
                .segmentBytes(segmentBytes)
                .segmentAge(segmentAge)
                .retentionAge(retentionAge)
                .retentionBytes(retentionBytes)
                .retentionCheckInterval(retentionCheckInterval)
                .indexIntervalBytes(indexIntervalBytes)
                .appendQueueCapacity(appendQueueCapacity)
                .maxTopics(maxTopics)
                .maxPartitionsPerTopic(maxPartitionsPerTopic);
        if (maxOpenFiles != null) {
            b.maxOpenFiles(maxOpenFiles);
        }
        return b;
    }
}
