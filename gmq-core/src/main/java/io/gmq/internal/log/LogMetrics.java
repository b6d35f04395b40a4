package io.gmq.internal.log;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.BaseUnits;
import io.micrometer.core.instrument.noop.NoopCounter;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The meters of one {@link LogManager} (names as Micrometer spells them; docs/OPERATIONS.md,
 * "Metrics", lists their Prometheus names):
 *
 * <ul>
 *   <li>{@value #PUBLISHED_RECORDS} and {@value #PUBLISHED_BYTES} per {@code topic}: records and
 *       frame bytes written to the log, counted by the writer once per partition and cycle;
 *   <li>{@value #FSYNC}: every force of a segment, index or journal file (a timer with a
 *       percentile histogram);
 *   <li>{@value #GROUP_COMMIT_BATCHES} and {@value #GROUP_COMMIT_BYTES}: batches and bytes of each
 *       group commit (one write per partition, one sync);
 *   <li>{@value #JOURNAL_WRITTEN}: bytes appended to the commit journal;
 *   <li>{@value #OPEN_FILES}, {@value #OPEN_FILES_MAX} and {@value #FILE_EVICTIONS}: the segment
 *       file cache, read when scraped.
 * </ul>
 *
 * <p>Cost. Meters are resolved once: a topic's counters when its first partition log opens (the
 * log keeps them), the others here. The hot path then counts per partition run and per cycle,
 * never per record, and makes no registry lookup. Without a registry ({@link #NONE}) the topic
 * counters are no-ops, the per-cycle calls return at once and the files are not wrapped.
 *
 * <p>Lifecycle. A deleted topic's counters are removed; {@link #close} removes every meter this
 * manager registered, so an engine reopened on the same registry starts from fresh meters.
 */
final class LogMetrics implements AutoCloseable {
    static final String PUBLISHED_RECORDS = "gmq.published.records";
    static final String PUBLISHED_BYTES = "gmq.published.bytes";
    static final String FSYNC = "gmq.log.fsync";
    static final String GROUP_COMMIT_BATCHES = "gmq.log.group.commit.batches";
    static final String GROUP_COMMIT_BYTES = "gmq.log.group.commit.bytes";
    static final String JOURNAL_WRITTEN = "gmq.journal.written";
    static final String OPEN_FILES = "gmq.log.open.files";
    static final String OPEN_FILES_MAX = "gmq.log.open.files.max";
    static final String FILE_EVICTIONS = "gmq.log.file.evictions";

    /** No registry: nothing is registered or recorded. */
    static final LogMetrics NONE = new LogMetrics(null);

    /** The counters of one topic, shared by its partition logs. */
    static final class TopicMeters {
        private static final TopicMeters NONE = new TopicMeters(
                new NoopCounter(new Meter.Id(PUBLISHED_RECORDS, Tags.empty(), null, null, Meter.Type.COUNTER)),
                new NoopCounter(new Meter.Id(PUBLISHED_BYTES, Tags.empty(), null, null, Meter.Type.COUNTER)));

        private final Counter records;
        private final Counter bytes;

        private TopicMeters(Counter records, Counter bytes) {
            this.records = records;
            this.bytes = bytes;
        }

        /** Writer thread: one run of {@code records} records in {@code bytes} frame bytes was written. */
        void written(long records, long bytes) {
            this.records.increment(records);
            this.bytes.increment(bytes);
        }
    }

    private final MeterRegistry registry;
    private final ConcurrentHashMap<String, TopicMeters> topics = new ConcurrentHashMap<>();
    /** Every meter but the topics' (guarded by this). */
    private final List<Meter> meters = new ArrayList<>();

    private final Timer fsync;
    private final DistributionSummary groupCommitBatches;
    private final DistributionSummary groupCommitBytes;
    private final Counter journalWritten;

    private LogMetrics(MeterRegistry registry) {
        this.registry = registry;
        if (registry == null) {
            fsync = null;
            groupCommitBatches = null;
            groupCommitBytes = null;
            journalWritten = null;
            return;
        }
        fsync = keep(Timer.builder(FSYNC)
                .description("Time of one force (fsync) of a segment, index or commit journal file")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(10_000))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry));
        groupCommitBatches = keep(DistributionSummary.builder(GROUP_COMMIT_BATCHES)
                .description("Batches written by one group commit (one write per partition, one sync)")
                .baseUnit("batches")
                .register(registry));
        groupCommitBytes = keep(DistributionSummary.builder(GROUP_COMMIT_BYTES)
                .description("Bytes written by one group commit")
                .baseUnit(BaseUnits.BYTES)
                .register(registry));
        journalWritten = keep(Counter.builder(JOURNAL_WRITTEN)
                .description("Bytes appended to the commit journal")
                .baseUnit(BaseUnits.BYTES)
                .register(registry));
    }

    /** The meters of a manager that registers in {@code registry}, or {@link #NONE} if it is null. */
    static LogMetrics of(MeterRegistry registry) {
        return registry == null ? NONE : new LogMetrics(registry);
    }

    boolean enabled() {
        return registry != null;
    }

    private synchronized <M extends Meter> M keep(M meter) {
        meters.add(meter);
        return meter;
    }

    /** Gauges of the file cache, read when scraped. */
    void watch(SegmentFileCache cache) {
        if (registry == null) {
            return;
        }
        keep(Gauge.builder(OPEN_FILES, cache, SegmentFileCache::openFiles)
                .description("Segment files (.log and .index) the log holds open")
                .register(registry));
        keep(Gauge.builder(OPEN_FILES_MAX, cache, SegmentFileCache::maxOpenFiles)
                .description("Most segment files the log keeps open (maxOpenFiles)")
                .register(registry));
        keep(FunctionCounter.builder(FILE_EVICTIONS, cache, SegmentFileCache::evictions)
                .description("Segment files closed to stay under maxOpenFiles")
                .register(registry));
    }

    /** The counters of {@code topic}: resolved once per partition log, when it opens. */
    TopicMeters topic(String topic) {
        if (registry == null) {
            return TopicMeters.NONE;
        }
        return topics.computeIfAbsent(
                topic,
                t -> new TopicMeters(
                        Counter.builder(PUBLISHED_RECORDS)
                                .description("Records written to the log")
                                .tag("topic", t)
                                .register(registry),
                        Counter.builder(PUBLISHED_BYTES)
                                .description("Record batch bytes written to the log")
                                .baseUnit(BaseUnits.BYTES)
                                .tag("topic", t)
                                .register(registry)));
    }

    /** The topic was deleted: its counters go. */
    void removeTopic(String topic) {
        TopicMeters m = topics.remove(topic);
        if (m != null) {
            registry.remove(m.records);
            registry.remove(m.bytes);
        }
    }

    /** Writer thread: one group commit wrote {@code batches} batches of {@code bytes} bytes in total. */
    void groupCommit(int batches, long bytes) {
        if (registry != null) {
            groupCommitBatches.record(batches);
            groupCommitBytes.record(bytes);
        }
    }

    /** Writer thread: {@code bytes} were appended to the commit journal. */
    void journaled(long bytes) {
        if (registry != null) {
            journalWritten.increment(bytes);
        }
    }

    /** {@code io} with every force timed, or {@code io} itself without a registry. */
    LogFileIO timeForces(LogFileIO io) {
        return registry == null
                ? io
                : new TimedForces(io, fsync, registry.config().clock());
    }

    @Override
    public void close() {
        if (registry == null) {
            return;
        }
        for (String topic : List.copyOf(topics.keySet())) {
            removeTopic(topic);
        }
        synchronized (this) {
            meters.forEach(registry::remove);
            meters.clear();
        }
    }

    /** A file layer whose forces are timed: every fsync the log makes passes through it. */
    private static final class TimedForces implements LogFileIO {
        private final LogFileIO io;
        private final Timer fsync;
        private final io.micrometer.core.instrument.Clock clock;

        TimedForces(LogFileIO io, Timer fsync, io.micrometer.core.instrument.Clock clock) {
            this.io = io;
            this.fsync = fsync;
            this.clock = clock;
        }

        @Override
        public LogFile open(Path path) throws IOException {
            return new TimedFile(io.open(path));
        }

        @Override
        public void delete(Path path) throws IOException {
            io.delete(path);
        }

        @Override
        public void syncDirectory(Path dir) throws IOException {
            io.syncDirectory(dir);
        }

        /** Times every force; every other call passes through. */
        private final class TimedFile extends ForwardingLogFile {
            TimedFile(LogFile file) {
                super(file);
            }

            @Override
            public void force() throws IOException {
                long start = clock.monotonicTime();
                file.force();
                fsync.record(clock.monotonicTime() - start, TimeUnit.NANOSECONDS);
            }
        }
    }
}
