package io.gmq.internal.log;

import io.gmq.TopicPartition;
import io.gmq.VerifyOnStartup;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides, at open, which segments get a full frame-by-frame check, runs it, and keeps the two
 * small files under {@code <dataDir>/logs/} that make that decision possible:
 *
 * <ul>
 *   <li>{@value #CLEAN_SHUTDOWN}: empty; written and forced by a clean close after every log was
 *       forced and closed, deleted (directory synced) at open before anything is appended. Absent
 *       at open means the last run did not end cleanly (crash, kill -9, power loss, failed fsync).
 *   <li>{@value #CHECKPOINT}: the wall time (epoch millis, decimal text) of the last open after which
 *       every older segment file was known good: written at open after a clean shutdown, or after
 *       an unclean one once every candidate segment was verified. A segment file whose last
 *       modification is older than it (minus {@link #MTIME_SLACK_MILLIS}) was last written in a
 *       run that ended cleanly or was verified since, so {@link VerifyOnStartup#UNFLUSHED} skips
 *       it. Missing: every segment is a candidate.
 * </ul>
 *
 * <p>Crash safety: the checkpoint is replaced by write-to-temp, force, rename, directory sync, so
 * it is either the old or the new time. A crash between deleting the marker and writing the
 * checkpoint only widens the next check. A wall clock set back by more than the slack can make
 * UNFLUSHED skip a segment; ALL never skips.
 */
final class StartupVerification {
    private static final Logger LOG = LoggerFactory.getLogger(StartupVerification.class);

    static final String CLEAN_SHUTDOWN = ".clean_shutdown";
    static final String CHECKPOINT = ".verified_checkpoint";
    /** File time granularity (1-2 s on some file systems) plus clock jitter. */
    static final long MTIME_SLACK_MILLIS = 2_000;

    private final Path logsDir;
    private final LogFileIO io;
    private final VerifyOnStartup mode;
    private final boolean cleanShutdown;
    private final long checkpointMillis;
    private final long openedAtMillis;
    private final LogVerifier verifier = new LogVerifier();
    /** True once a candidate segment was left unverified (mode NONE after an unclean stop). */
    private boolean skippedCandidates;

    private StartupVerification(
            Path logsDir,
            LogFileIO io,
            VerifyOnStartup mode,
            boolean cleanShutdown,
            long checkpointMillis,
            long openedAtMillis) {
        this.logsDir = logsDir;
        this.io = io;
        this.mode = mode;
        this.cleanShutdown = cleanShutdown;
        this.checkpointMillis = checkpointMillis;
        this.openedAtMillis = openedAtMillis;
    }

    /** Reads and removes the clean-shutdown marker; call once, before any partition opens. */
    static StartupVerification begin(Path logsDir, LogFileIO io, VerifyOnStartup mode, long nowMillis)
            throws IOException {
        Path marker = logsDir.resolve(CLEAN_SHUTDOWN);
        boolean clean = Files.exists(marker);
        boolean firstStart = !clean && !Files.exists(logsDir.resolve(CHECKPOINT)) && isEmpty(logsDir);
        long checkpoint = readCheckpoint(logsDir.resolve(CHECKPOINT));
        if (clean) {
            io.delete(marker);
            io.syncDirectory(logsDir);
        } else if (!firstStart) {
            LOG.warn(
                    "the previous run did not shut down cleanly (no {} in {}); {}",
                    CLEAN_SHUTDOWN,
                    logsDir,
                    mode == VerifyOnStartup.NONE
                            ? "verifyOnStartup is NONE: only the tail of each partition is checked"
                            : "verifying every segment written since the last verified start");
        }
        return new StartupVerification(logsDir, io, mode, clean || firstStart, checkpoint, nowMillis);
    }

    /**
     * Verifies the segments of a just-recovered partition that this mode covers, logging every
     * damaged stretch at ERROR; returns what was found (reads of those offsets fail with DATA_LOSS).
     */
    List<LogVerifier.Damage> verify(TopicPartition tp, List<Segment> segments) throws IOException {
        List<LogVerifier.Damage> damage = new ArrayList<>();
        long bytes = 0;
        long started = System.nanoTime();
        int checked = 0;
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            if (!covers(s)) {
                continue;
            }
            long endOffset = i + 1 < segments.size() ? segments.get(i + 1).baseOffset : FrameResync.UNKNOWN;
            long size = s.writtenPosition;
            // Before the partition attaches its segments to the file cache: one segment's log file
            // open at a time, closed when scanned.
            try (LogFileIO.LogFile log = io.open(s.logPath)) {
                verifier.scan(
                        tp, log::read, s.logPath, s.baseOffset, size, s.index, endOffset, false, s.indexPath, damage);
            }
            bytes += size;
            checked++;
        }
        for (LogVerifier.Damage d : damage) {
            if (!d.losesRecords()) {
                continue;
            }
            LOG.error(
                    "{}. Reads of these offsets fail with DATA_LOSS; nothing else is affected. To skip them, stop the"
                            + " group's consumers and run: java -jar gmq.jar groups reset --group <group> --topic {}"
                            + " --partition {} {} --execute (docs/OPERATIONS.md, \"A damaged segment\")",
                    d.describe(),
                    tp.topic(),
                    tp.partition(),
                    d.toOffset() >= 0 ? "--to-offset " + d.toOffset() : "--to-latest");
        }
        if (checked > 0) {
            LOG.info(
                    "{}: verified {} segment(s), {} bytes, in {} ms: {}",
                    tp,
                    checked,
                    bytes,
                    (System.nanoTime() - started) / 1_000_000,
                    damage.isEmpty() ? "intact" : damage.size() + " damaged stretch(es)");
        }
        return damage;
    }

    private boolean covers(Segment s) throws IOException {
        switch (mode) {
            case ALL:
                return true;
            case NONE:
                if (!cleanShutdown) {
                    skippedCandidates = true;
                }
                return false;
            default:
                if (cleanShutdown) {
                    return false;
                }
                return checkpointMillis < 0
                        || Files.getLastModifiedTime(s.logPath).toMillis() >= checkpointMillis - MTIME_SLACK_MILLIS;
        }
    }

    /** Records that every segment older than this open is known good (unless candidates were skipped). */
    void finish() throws IOException {
        if (skippedCandidates) {
            return;
        }
        Path tmp = logsDir.resolve(CHECKPOINT + ".tmp");
        io.delete(tmp);
        try (LogFileIO.LogFile f = io.open(tmp)) {
            f.write(ByteBuffer.wrap(Long.toString(openedAtMillis).getBytes(StandardCharsets.US_ASCII)), 0);
            f.force();
        }
        Files.move(tmp, logsDir.resolve(CHECKPOINT), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        io.syncDirectory(logsDir);
    }

    /** Writes the clean-shutdown marker; call after every log was forced and closed. */
    static void markClean(Path logsDir, LogFileIO io) throws IOException {
        try (LogFileIO.LogFile f = io.open(logsDir.resolve(CLEAN_SHUTDOWN))) {
            f.force();
        }
        io.syncDirectory(logsDir);
    }

    private static long readCheckpoint(Path file) {
        try {
            return Long.parseLong(
                    Files.readString(file, StandardCharsets.US_ASCII).strip());
        } catch (IOException | NumberFormatException missingOrDamaged) {
            return -1;
        }
    }

    private static boolean isEmpty(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return s.findAny().isEmpty();
        }
    }
}
