package io.gmq;

import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one embedded engine, validated once in {@link Builder#build()}. Every setting has a
 * documented default; {@code GmqConfig.builder().build()} opens {@code ./gmq-data} with them.
 */
public final class GmqConfig {
    /** Default data directory, relative to the working directory. */
    public static final Path DEFAULT_DATA_DIR = Paths.get("gmq-data");

    private final Path dataDir;
    private final int defaultPartitions;
    private final boolean autoCreateTopics;
    private final FlushPolicy flushPolicy;
    private final long segmentBytes;
    private final Duration segmentAge;
    private final Duration producerIdExpiration;
    private final Duration retentionAge;
    private final long retentionBytes;
    private final int indexIntervalBytes;
    private final long journalFileBytes;
    private final int appendQueueCapacity;
    private final VerifyOnStartup verifyOnStartup;
    private final int maxMessageBytes;
    private final int maxBatchBytes;
    private final Duration sessionTimeout;
    private final Duration ackTimeout;
    private final int maxInFlightPerPartition;
    private final int maxDeliveries;
    private final String deadLetterSuffix;
    private final Duration nackBackoff;
    private final Duration commitInterval;
    private final Duration retentionCheckInterval;
    private final int maxTopics;
    private final int maxPartitionsPerTopic;
    private final int maxOpenFiles;
    private final TimeSource timeSource;
    private final MeterRegistry meterRegistry;
    private final ScheduleLimits scheduleLimits;

    private GmqConfig(Builder b) {
        this.dataDir = b.dataDir;
        this.defaultPartitions = b.defaultPartitions;
        this.autoCreateTopics = b.autoCreateTopics;
        this.flushPolicy = b.flushPolicy;
        this.segmentBytes = b.segmentBytes;
        this.segmentAge = b.segmentAge;
        this.producerIdExpiration = b.producerIdExpiration;
        this.retentionAge = b.retentionAge;
        this.retentionBytes = b.retentionBytes;
        this.indexIntervalBytes = b.indexIntervalBytes;
        this.journalFileBytes = b.journalFileBytes;
        this.appendQueueCapacity = b.appendQueueCapacity;
        this.verifyOnStartup = b.verifyOnStartup;
        this.maxMessageBytes = b.maxMessageBytes;
        this.maxBatchBytes = b.maxBatchBytes;
        this.sessionTimeout = b.sessionTimeout;
        this.ackTimeout = b.ackTimeout;
        this.maxInFlightPerPartition = b.maxInFlightPerPartition;
        this.maxDeliveries = b.maxDeliveries;
        this.deadLetterSuffix = b.deadLetterSuffix;
        this.nackBackoff = b.nackBackoff;
        this.commitInterval = b.commitInterval;
        this.retentionCheckInterval = b.retentionCheckInterval;
        this.maxTopics = b.maxTopics;
        this.maxPartitionsPerTopic = b.maxPartitionsPerTopic;
        this.maxOpenFiles = b.maxOpenFiles == 0 ? OpenFileLimit.DEFAULT_MAX_OPEN_FILES : b.maxOpenFiles;
        this.timeSource = b.timeSource;
        this.meterRegistry = b.meterRegistry;
        this.scheduleLimits = b.scheduleLimits;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.dataDir = dataDir;
        b.defaultPartitions = defaultPartitions;
        b.autoCreateTopics = autoCreateTopics;
        b.flushPolicy = flushPolicy;
        b.segmentBytes = segmentBytes;
        b.segmentAge = segmentAge;
        b.producerIdExpiration = producerIdExpiration;
        b.retentionAge = retentionAge;
        b.retentionBytes = retentionBytes;
        b.indexIntervalBytes = indexIntervalBytes;
        b.journalFileBytes = journalFileBytes;
        b.appendQueueCapacity = appendQueueCapacity;
        b.verifyOnStartup = verifyOnStartup;
        b.maxMessageBytes = maxMessageBytes;
        b.maxBatchBytes = maxBatchBytes;
        b.sessionTimeout = sessionTimeout;
        b.ackTimeout = ackTimeout;
        b.maxInFlightPerPartition = maxInFlightPerPartition;
        b.maxDeliveries = maxDeliveries;
        b.deadLetterSuffix = deadLetterSuffix;
        b.nackBackoff = nackBackoff;
        b.commitInterval = commitInterval;
        b.retentionCheckInterval = retentionCheckInterval;
        b.maxTopics = maxTopics;
        b.maxPartitionsPerTopic = maxPartitionsPerTopic;
        b.maxOpenFiles = maxOpenFiles;
        b.timeSource = timeSource;
        b.meterRegistry = meterRegistry;
        b.scheduleLimits = scheduleLimits;
        return b;
    }

    /** Limits of the schedule of delayed messages. Default {@link ScheduleLimits#DEFAULT}. */
    public ScheduleLimits scheduleLimits() {
        return scheduleLimits;
    }

    /** Where topics, segments and the SQLite state live. Default {@code ./gmq-data}. */
    public Path dataDir() {
        return dataDir;
    }

    /** Partitions of an auto-created topic. Default 3. */
    public int defaultPartitions() {
        return defaultPartitions;
    }

    /** Create a topic on first publish or subscribe. Default true. */
    public boolean autoCreateTopics() {
        return autoCreateTopics;
    }

    /** When appends are forced to disk. Default {@link FlushPolicy#SYNC}. */
    public FlushPolicy flushPolicy() {
        return flushPolicy;
    }

    /** A segment rolls when it would pass this size. Default 128 MiB. */
    public long segmentBytes() {
        return segmentBytes;
    }

    /** A non-empty segment rolls when its first batch is older than this. Default 7 days. */
    public Duration segmentAge() {
        return segmentAge;
    }

    /**
     * How long a partition remembers an idle idempotent producer (Kafka's
     * {@code producer.id.expiration.ms}): a producer that appended nothing to a partition for longer
     * is forgotten there, and its next batch is accepted whatever its sequence (a duplicate of a
     * batch older than this is no longer recognised). Bounds the deduplication state's memory.
     * Default 1 day.
     */
    public Duration producerIdExpiration() {
        return producerIdExpiration;
    }

    /** Whole segments whose newest record is older than this are deleted; null keeps forever. Default 7 days. */
    public Duration retentionAge() {
        return retentionAge;
    }

    /** Oldest segments are deleted while a partition holds more than this; -1 is no limit. Default -1. */
    public long retentionBytes() {
        return retentionBytes;
    }

    /** One sparse index entry per this many bytes of log. Default 4096. */
    public int indexIntervalBytes() {
        return indexIntervalBytes;
    }

    /**
     * Size of a commit journal file ({@code <dataDir>/journal}); 0 turns the journal off. Under
     * {@link FlushPolicy#SYNC}, a group commit that wrote to several partitions but little data is
     * made durable by one fsync of the journal instead of one fsync per partition's segment; the
     * segments are forced when their journal file is retired, once it holds this many bytes, and at
     * close. After a crash the next open copies the journaled bytes back into their segments. Default
     * 64 MiB.
     */
    public long journalFileBytes() {
        return journalFileBytes;
    }

    /**
     * Append requests the log writer's queue holds (all partitions together, rounded up to a power
     * of two). A publishing thread that finds it full waits until the writer drains it: this is the
     * log's back-pressure. Default 16384.
     */
    public int appendQueueCapacity() {
        return appendQueueCapacity;
    }

    /** What the log checks frame by frame when it opens. Default {@link VerifyOnStartup#UNFLUSHED}. */
    public VerifyOnStartup verifyOnStartup() {
        return verifyOnStartup;
    }

    /** Largest accepted record (key + value + headers). Default 1 MiB. */
    public int maxMessageBytes() {
        return maxMessageBytes;
    }

    /** Largest accepted batch frame. Default 16 MiB. */
    public int maxBatchBytes() {
        return maxBatchBytes;
    }

    /** A group member that does not heartbeat for this long is removed. Default 10 s. */
    public Duration sessionTimeout() {
        return sessionTimeout;
    }

    /** A QoS 1 delivery not acknowledged in this time is delivered again. Default 30 s. */
    public Duration ackTimeout() {
        return ackTimeout;
    }

    /**
     * Unacknowledged QoS 1 deliveries allowed per partition and member. Default 20,000: at a few
     * million records a second and a few milliseconds from delivery to ack, that many are on their
     * way. Memory follows what is in flight (13 bytes per record), not this bound.
     */
    public int maxInFlightPerPartition() {
        return maxInFlightPerPartition;
    }

    /** After this many deliveries a message goes to the dead-letter topic; 0 turns it off. Default 0. */
    public int maxDeliveries() {
        return maxDeliveries;
    }

    /** Dead-letter topic is the source topic plus this suffix. Default ".dlq". */
    public String deadLetterSuffix() {
        return deadLetterSuffix;
    }

    /** Wait before a negatively acknowledged message is delivered again. Default 0. */
    public Duration nackBackoff() {
        return nackBackoff;
    }

    /** How often acknowledged progress is committed to SQLite. Default 100 ms. */
    public Duration commitInterval() {
        return commitInterval;
    }

    /** How often retention and segment age are checked. Default 30 s. */
    public Duration retentionCheckInterval() {
        return retentionCheckInterval;
    }

    /** Most topics the engine holds. Default 10,000. */
    public int maxTopics() {
        return maxTopics;
    }

    /** Most partitions one topic may have. Default 1,024. */
    public int maxPartitionsPerTopic() {
        return maxPartitionsPerTopic;
    }

    /**
     * Most segment files (a segment's {@code .log} and {@code .index} count as two) the log keeps
     * open at once; beyond it the least recently used idle ones are closed and reopen on their next
     * read or append. Default: half the process's open-file limit ({@code ulimit -n}) as the JVM
     * reports it, at least 64 and at most 1,048,576; 4096 where the JVM cannot report the limit.
     * The other half stays free for connections, SQLite and the JVM's own files. The cap belongs to
     * one engine: a process that opens several engines gives each its own (split the limit).
     */
    public int maxOpenFiles() {
        return maxOpenFiles;
    }

    public TimeSource timeSource() {
        return timeSource;
    }

    /**
     * Where the engine registers its meters (published records and bytes per topic, publish and
     * fsync latency, group-commit sizes, deliveries and lag per consumer group, open files; the
     * full list is in docs/OPERATIONS.md, "Metrics"), or null. Default null: no meter is created
     * and nothing is recorded, so an application that binds no registry pays nothing for them.
     * The engine removes its meters when a topic is deleted, a group leaves this engine, and when
     * it closes.
     */
    public MeterRegistry meterRegistry() {
        return meterRegistry;
    }

    @Override
    public String toString() {
        return "GmqConfig{dataDir=" + dataDir + ", defaultPartitions=" + defaultPartitions
                + ", flushPolicy=" + flushPolicy + ", journalFileBytes=" + journalFileBytes + ", segmentBytes="
                + segmentBytes
                + ", retentionAge=" + retentionAge + ", retentionBytes=" + retentionBytes
                + ", maxMessageBytes=" + maxMessageBytes + ", sessionTimeout=" + sessionTimeout
                + ", ackTimeout=" + ackTimeout + ", maxOpenFiles=" + maxOpenFiles + ", metrics="
                + (meterRegistry == null ? "off" : "on") + "}";
    }

    public static final class Builder {
        private Path dataDir = DEFAULT_DATA_DIR;
        private int defaultPartitions = 3;
        private boolean autoCreateTopics = true;
        private FlushPolicy flushPolicy = FlushPolicy.SYNC;
        private long segmentBytes = 128L * 1024 * 1024;
        private Duration segmentAge = Duration.ofDays(7);
        private Duration producerIdExpiration = Duration.ofDays(1);
        private Duration retentionAge = Duration.ofDays(7);
        private long retentionBytes = -1;
        private int indexIntervalBytes = 4096;
        private long journalFileBytes = 64L * 1024 * 1024;
        private int appendQueueCapacity = 16 * 1024;
        private VerifyOnStartup verifyOnStartup = VerifyOnStartup.UNFLUSHED;
        private int maxMessageBytes = 1024 * 1024;
        private ScheduleLimits scheduleLimits = ScheduleLimits.DEFAULT;
        private int maxBatchBytes = 16 * 1024 * 1024;
        private Duration sessionTimeout = Duration.ofSeconds(10);
        private Duration ackTimeout = Duration.ofSeconds(30);
        private int maxInFlightPerPartition = 20_000;
        private int maxDeliveries = 0;
        private String deadLetterSuffix = ".dlq";
        private Duration nackBackoff = Duration.ZERO;
        private Duration commitInterval = Duration.ofMillis(100);
        private Duration retentionCheckInterval = Duration.ofSeconds(30);
        private int maxTopics = 10_000;
        private int maxPartitionsPerTopic = 1024;
        /** 0: derive from the process's limit at build time (see {@link GmqConfig#maxOpenFiles()}). */
        private int maxOpenFiles = 0;

        private TimeSource timeSource = TimeSource.SYSTEM;
        private MeterRegistry meterRegistry;

        private Builder() {}

        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        public Builder dataDir(String dataDir) {
            return dataDir(Paths.get(dataDir));
        }

        public Builder defaultPartitions(int n) {
            this.defaultPartitions = n;
            return this;
        }

        public Builder autoCreateTopics(boolean on) {
            this.autoCreateTopics = on;
            return this;
        }

        public Builder flushPolicy(FlushPolicy p) {
            this.flushPolicy = p;
            return this;
        }

        public Builder segmentBytes(long bytes) {
            this.segmentBytes = bytes;
            return this;
        }

        public Builder segmentAge(Duration age) {
            this.segmentAge = age;
            return this;
        }

        /** See {@link GmqConfig#producerIdExpiration()}. */
        public Builder producerIdExpiration(Duration expiration) {
            this.producerIdExpiration = expiration;
            return this;
        }

        public Builder retentionAge(Duration age) {
            this.retentionAge = age;
            return this;
        }

        public Builder retentionBytes(long bytes) {
            this.retentionBytes = bytes;
            return this;
        }

        public Builder indexIntervalBytes(int bytes) {
            this.indexIntervalBytes = bytes;
            return this;
        }

        /** See {@link GmqConfig#appendQueueCapacity()}. */
        public Builder appendQueueCapacity(int requests) {
            this.appendQueueCapacity = requests;
            return this;
        }

        /** See {@link GmqConfig#journalFileBytes()}; 0 turns the commit journal off. */
        public Builder journalFileBytes(long bytes) {
            this.journalFileBytes = bytes;
            return this;
        }

        public Builder verifyOnStartup(VerifyOnStartup mode) {
            this.verifyOnStartup = mode;
            return this;
        }

        /** Limits of the schedule of delayed messages (longest delay, bytes held at once). */
        public Builder scheduleLimits(ScheduleLimits limits) {
            this.scheduleLimits = limits;
            return this;
        }

        public Builder maxMessageBytes(int bytes) {
            this.maxMessageBytes = bytes;
            return this;
        }

        public Builder maxBatchBytes(int bytes) {
            this.maxBatchBytes = bytes;
            return this;
        }

        public Builder sessionTimeout(Duration t) {
            this.sessionTimeout = t;
            return this;
        }

        public Builder ackTimeout(Duration t) {
            this.ackTimeout = t;
            return this;
        }

        public Builder maxInFlightPerPartition(int n) {
            this.maxInFlightPerPartition = n;
            return this;
        }

        public Builder maxDeliveries(int n) {
            this.maxDeliveries = n;
            return this;
        }

        public Builder deadLetterSuffix(String suffix) {
            this.deadLetterSuffix = suffix;
            return this;
        }

        public Builder nackBackoff(Duration d) {
            this.nackBackoff = d;
            return this;
        }

        public Builder commitInterval(Duration d) {
            this.commitInterval = d;
            return this;
        }

        public Builder retentionCheckInterval(Duration d) {
            this.retentionCheckInterval = d;
            return this;
        }

        public Builder maxTopics(int n) {
            this.maxTopics = n;
            return this;
        }

        public Builder maxPartitionsPerTopic(int n) {
            this.maxPartitionsPerTopic = n;
            return this;
        }

        /** See {@link GmqConfig#maxOpenFiles()}; at least 4 (two segments). */
        public Builder maxOpenFiles(int n) {
            this.maxOpenFiles = n;
            return this;
        }

        public Builder timeSource(TimeSource t) {
            this.timeSource = t;
            return this;
        }

        /** See {@link GmqConfig#meterRegistry()}; null (the default) records no metrics. */
        public Builder meterRegistry(MeterRegistry registry) {
            this.meterRegistry = registry;
            return this;
        }

        public GmqConfig build() {
            Objects.requireNonNull(dataDir, "dataDir");
            Objects.requireNonNull(flushPolicy, "flushPolicy");
            Objects.requireNonNull(timeSource, "timeSource");
            Objects.requireNonNull(verifyOnStartup, "verifyOnStartup");
            require(
                    defaultPartitions >= 1 && defaultPartitions <= maxPartitionsPerTopic,
                    "defaultPartitions must be 1.." + maxPartitionsPerTopic + ", was " + defaultPartitions);
            require(segmentBytes >= 1024, "segmentBytes must be at least 1024, was " + segmentBytes);
            require(segmentBytes <= Integer.MAX_VALUE, "segmentBytes must be at most 2 GiB, was " + segmentBytes);
            require(positive(segmentAge), "segmentAge must be positive");
            require(
                    producerIdExpiration != null && positive(producerIdExpiration),
                    "producerIdExpiration must be positive");
            require(
                    retentionAge == null || positive(retentionAge),
                    "retentionAge must be positive or null (keep forever)");
            require(retentionBytes == -1 || retentionBytes > 0, "retentionBytes must be positive or -1 (no limit)");
            require(indexIntervalBytes >= 64, "indexIntervalBytes must be at least 64, was " + indexIntervalBytes);
            require(
                    journalFileBytes == 0 || journalFileBytes >= 64 * 1024,
                    "journalFileBytes must be 0 (no commit journal) or at least 65536, was " + journalFileBytes);
            require(
                    appendQueueCapacity >= 2 && appendQueueCapacity <= 1 << 24,
                    "appendQueueCapacity must be 2..16777216, was " + appendQueueCapacity);
            require(maxMessageBytes >= 1, "maxMessageBytes must be positive");
            require(maxBatchBytes >= maxMessageBytes, "maxBatchBytes must be at least maxMessageBytes");
            require(positive(sessionTimeout), "sessionTimeout must be positive");
            require(positive(ackTimeout), "ackTimeout must be positive");
            require(maxInFlightPerPartition >= 1, "maxInFlightPerPartition must be at least 1");
            require(maxDeliveries >= 0, "maxDeliveries must be 0 (off) or positive");
            require(deadLetterSuffix != null && !deadLetterSuffix.isEmpty(), "deadLetterSuffix must not be empty");
            require(nackBackoff != null && !nackBackoff.isNegative(), "nackBackoff must not be negative");
            require(positive(commitInterval), "commitInterval must be positive");
            require(positive(retentionCheckInterval), "retentionCheckInterval must be positive");
            require(maxTopics >= 1, "maxTopics must be positive");
            require(scheduleLimits != null, "scheduleLimits must not be null");
            require(
                    maxOpenFiles == 0 || maxOpenFiles >= 4,
                    "maxOpenFiles must be at least 4 (one segment is two files), was " + maxOpenFiles);
            return new GmqConfig(this);
        }

        private static boolean positive(Duration d) {
            return d != null && !d.isNegative() && !d.isZero();
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw GmqException.invalidArgument(message);
            }
        }
    }
}
