package io.gmq.internal.log;

import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.TopicConfig;
import io.gmq.TopicPartition;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns every partition log under {@code <dataDir>/logs/}, the one writer thread that group-commits
 * appends for all of them ({@code gmq-log-writer}, plus {@code gmq-log-syncer} under the SYNC
 * policy) and one scheduler thread ({@code gmq-log-scheduler}) for long-poll timeouts, retention
 * and interval flushes. Under SYNC it also owns the {@link CommitJournal} (one fsync for a group
 * commit that wrote to several partitions) and its checkpoint thread. When the manager opens, the
 * journal left by an unclean stop is replayed into the segments, then every partition is recovered.
 *
 * <p>Layout: {@code <dataDir>/logs/<topic>/<partition>/<20-digit base offset>.log|.index}, and
 * {@code <dataDir>/journal/<20-digit sequence>.journal}. The caller validates topic names (a name
 * can never escape the data directory).
 *
 * <p>Open files: the manager's {@link SegmentFileCache} keeps at most {@code maxOpenFiles} segment
 * files open across all its partitions (recovery holds one more segment's pair per partition being
 * opened, and threads inside a read or write can hold a handle past the cap until they finish).
 */
public final class LogManager implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LogManager.class);
    static final String LOGS_DIR = "logs";

    private final GmqConfig config;
    private final LogSettings settings;
    private volatile Function<String, TopicConfig> topicSettings = topic -> TopicConfig.empty();
    private final LogFileIO io;
    private final LogMetrics metrics;
    private final SegmentFileCache fileCache;
    private final Path logsDir;
    private final Path journalDir;
    /** The commit journal (SYNC with journalFileBytes > 0), or null. */
    private final CommitJournal journal;

    private final ConcurrentHashMap<TopicPartition, PartitionLog> logs = new ConcurrentHashMap<>();
    private final LogWriter writer;
    private final ScheduledThreadPoolExecutor scheduler;
    private volatile boolean closed;
    /** Set while the partitions found at open are recovered (and verified); null afterwards. */
    private StartupVerification startup;
    /** Every partition found at open was recovered; only then may a close mark the shutdown clean. */
    private volatile boolean started;

    private LogManager(GmqConfig config, LogFileIO io) {
        this.config = config;
        this.settings = LogSettings.from(config);
        this.metrics = LogMetrics.of(config.meterRegistry());
        this.io = metrics.timeForces(io);
        this.fileCache = new SegmentFileCache(this.io, config.maxOpenFiles());
        metrics.watch(fileCache);
        this.logsDir = config.dataDir().resolve(LOGS_DIR);
        this.journalDir = config.dataDir().resolve(CommitJournal.DIR);
        this.journal = config.flushPolicy().syncBeforeAck() && config.journalFileBytes() > 0
                ? new CommitJournal(journalDir, this.io, config.journalFileBytes(), metrics)
                : null;
        this.writer = new LogWriter(
                config.flushPolicy(), config.timeSource(), journal, config.appendQueueCapacity(), metrics);
        this.scheduler = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "gmq-log-scheduler");
            t.setDaemon(true);
            return t;
        });
        this.scheduler.setRemoveOnCancelPolicy(true);
        this.scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    }

    /** Opens (recovering every existing partition) the logs under {@code config.dataDir()}. */
    public static LogManager open(GmqConfig config) {
        return open(config, LogFileIO.DEFAULT);
    }

    /** Like {@link #open(GmqConfig)} over the given file layer (tests inject faults through it). */
    public static LogManager open(GmqConfig config, LogFileIO io) {
        LogManager manager = new LogManager(config, io);
        try {
            manager.start();
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        return manager;
    }

    private void start() {
        try {
            Files.createDirectories(logsDir);
        } catch (IOException e) {
            throw new GmqException(ErrorCode.INTERNAL, "cannot create log directory " + logsDir + ": " + e, e);
        }
        try {
            // Before any partition is recovered: acknowledged bytes only the journal holds go back
            // into their segments (also when this open runs without a journal).
            JournalReplay.Replay replay = JournalReplay.recover(journalDir, logsDir, io);
            if (journal != null) {
                journal.startAt(replay.nextSequence());
            }
        } catch (IOException e) {
            throw new GmqException(
                    ErrorCode.INTERNAL, "cannot replay the commit journal in " + journalDir + ": " + e, e);
        }
        try {
            startup = StartupVerification.begin(
                    logsDir, io, config.verifyOnStartup(), config.timeSource().wallMillis());
            for (TopicPartition tp : scanPartitions()) {
                log(tp);
            }
            startup.finish();
            started = true;
        } catch (IOException e) {
            throw new GmqException(
                    ErrorCode.INTERNAL, "cannot read or write the shutdown marker in " + logsDir + ": " + e, e);
        } finally {
            startup = null;
        }
        writer.start();
        long retentionMillis = config.retentionCheckInterval().toMillis();
        scheduler.scheduleWithFixedDelay(this::retentionTask, retentionMillis, retentionMillis, TimeUnit.MILLISECONDS);
        if (config.flushPolicy().kind() == FlushPolicy.Kind.INTERVAL) {
            long interval = config.flushPolicy().interval().toMillis();
            scheduler.scheduleAtFixedRate(writer::requestForce, interval, interval, TimeUnit.MILLISECONDS);
        }
    }

    private List<TopicPartition> scanPartitions() {
        List<TopicPartition> found = new ArrayList<>();
        try (DirectoryStream<Path> topics = Files.newDirectoryStream(logsDir, Files::isDirectory)) {
            for (Path topicDir : topics) {
                try (DirectoryStream<Path> parts = Files.newDirectoryStream(topicDir, Files::isDirectory)) {
                    for (Path partDir : parts) {
                        String name = partDir.getFileName().toString();
                        if (name.matches("\\d{1,9}")) {
                            found.add(new TopicPartition(topicDir.getFileName().toString(), Integer.parseInt(name)));
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new GmqException(ErrorCode.INTERNAL, "cannot list log directory " + logsDir + ": " + e, e);
        }
        return found;
    }

    /** The log of {@code tp}, recovered from disk or created empty. The topic name must be valid. */
    public PartitionLog log(TopicPartition tp) {
        ensureOpen();
        PartitionLog log = logs.get(tp);
        return log != null ? log : logs.computeIfAbsent(tp, this::openPartition);
    }

    /**
     * Where the logs read a topic's own settings ({@link TopicConfig}); until set, every topic
     * has the engine's. Partitions already open take theirs now.
     */
    public void topicSettings(Function<String, TopicConfig> lookup) {
        this.topicSettings = lookup;
        for (PartitionLog log : logs.values()) {
            log.settings(
                    LogSettings.from(config, lookup.apply(log.topicPartition().topic())));
        }
    }

    /** Topic {@code topic}'s settings are now {@code settings}: its open partitions use them from their next append. */
    public void topicSettingsChanged(String topic, TopicConfig settings) {
        LogSettings s = LogSettings.from(config, settings);
        for (PartitionLog log : logs.values()) {
            if (log.topicPartition().topic().equals(topic)) {
                log.settings(s);
            }
        }
    }

    private PartitionLog openPartition(TopicPartition tp) {
        Path dir = logsDir.resolve(tp.topic()).resolve(Integer.toString(tp.partition()));
        try {
            LogRecovery.Recovered recovered = new LogRecovery(tp, dir, io, settings.indexIntervalBytes()).recover();
            StartupVerification verification = startup;
            if (verification != null) {
                verification.verify(tp, recovered.segments());
            }
            return new PartitionLog(
                    tp, dir, this, LogSettings.from(config, topicSettings.apply(tp.topic())), recovered);
        } catch (IOException e) {
            if (String.valueOf(e.getMessage()).contains("Too many open files")) {
                // The logs themselves stay under maxOpenFiles; something else uses the rest.
                throw new GmqException(
                        ErrorCode.RESOURCE_EXHAUSTED,
                        tp + ": cannot open the log: the process is out of file descriptors (" + fileCache.openFiles()
                                + " segment files open, maxOpenFiles " + fileCache.maxOpenFiles()
                                + "); raise the limit (ulimit -n) or lower maxOpenFiles",
                        e);
            }
            throw new GmqException(ErrorCode.INTERNAL, tp + ": cannot open the log in " + dir + ": " + e, e);
        }
    }

    /** The log of {@code tp} if it is open, else null; opens and creates nothing. */
    public PartitionLog openLog(TopicPartition tp) {
        return logs.get(tp);
    }

    /** The partitions with an open log. */
    public Set<TopicPartition> partitions() {
        return new TreeSet<>(logs.keySet());
    }

    /**
     * Closes the logs of {@code topic} and deletes its directory. Appends still queued for it fail
     * with UNAVAILABLE; the writer has finished with its files before they are deleted, and the
     * commit journal holds no entry for them (a topic created again under the name must not get
     * the old one's bytes replayed into it).
     */
    public void deleteTopic(String topic) {
        ensureOpen();
        List<PartitionLog> doomed = new ArrayList<>();
        for (PartitionLog log : logs.values()) {
            if (log.topicPartition().topic().equals(topic)) {
                log.markClosing();
                doomed.add(log);
            }
        }
        try {
            writer.checkpoint().join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof GmqException g
                    ? new GmqException(g.code(), "cannot delete topic " + topic + ": " + g.getMessage(), g)
                    : e;
        }
        for (PartitionLog log : doomed) {
            log.close(false);
            logs.remove(log.topicPartition(), log);
        }
        metrics.removeTopic(topic);
        Path topicDir = logsDir.resolve(topic);
        try {
            deleteRecursively(topicDir);
            io.syncDirectory(logsDir);
        } catch (IOException e) {
            throw new GmqException(ErrorCode.INTERNAL, "cannot delete log directory " + topicDir + ": " + e, e);
        }
    }

    private void deleteRecursively(Path path) throws IOException {
        if (!Files.exists(path)) {
            return;
        }
        if (Files.isDirectory(path)) {
            try (DirectoryStream<Path> children = Files.newDirectoryStream(path)) {
                for (Path child : children) {
                    deleteRecursively(child);
                }
            }
            Files.delete(path);
        } else {
            io.delete(path);
        }
    }

    /** Applies retention to every partition now (the scheduler also does this every retentionCheckInterval). */
    public void runRetention() {
        ensureOpen();
        long now = config.timeSource().wallMillis();
        for (PartitionLog log : logs.values()) {
            log.applyRetention(now);
        }
    }

    private void retentionTask() {
        try {
            if (!closed) {
                runRetention();
            }
        } catch (RuntimeException e) {
            LOG.warn("retention check failed", e);
        }
    }

    /**
     * Finishes every queued append, forces and closes all files, and stops the threads. Later
     * calls on this manager or its logs fail with UNAVAILABLE.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        writer.close();
        scheduler.shutdownNow();
        if (journal != null) {
            journal.awaitCheckpoints();
        }
        boolean clean = started;
        for (PartitionLog log : logs.values()) {
            log.close(true);
            clean &= log.failure() == null;
        }
        logs.clear();
        if (journal != null) {
            journal.close(clean);
        }
        metrics.close();
        if (clean) {
            try {
                StartupVerification.markClean(logsDir, io);
            } catch (IOException e) {
                LOG.warn(
                        "could not write the clean-shutdown marker in {}; the next start verifies recent segments",
                        logsDir,
                        e);
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new GmqException(ErrorCode.UNAVAILABLE, "the log manager is closed; reopen the engine and retry");
        }
    }

    LogWriter writer() {
        return writer;
    }

    ScheduledExecutorService scheduler() {
        return scheduler;
    }

    LogFileIO io() {
        return io;
    }

    SegmentFileCache fileCache() {
        return fileCache;
    }

    LogMetrics metrics() {
        return metrics;
    }

    GmqConfig config() {
        return config;
    }
}
