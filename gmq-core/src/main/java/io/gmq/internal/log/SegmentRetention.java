package io.gmq.internal.log;

import io.gmq.TopicPartition;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention of one {@link PartitionLog}: deletes whole oldest segments by age and by size.
 *
 * <p>Threads. Runs on the manager's scheduler. It decides and replaces the log's volatile segment
 * array and log start offset under the log's {@code segmentsLock} (which a roll also takes to
 * append a segment, and close takes to mark the files closed), so a segment is never both dropped
 * here and appended to the array by the writer, and never deleted after the log closed its files.
 * The files are deleted after the lock is released: a reader that still holds the old array meets
 * a closed segment and looks the log up again (see {@link PartitionLogReader}).
 */
final class SegmentRetention {
    /** Logs under the partition log's name, as before retention had a class of its own. */
    private static final Logger LOG = LoggerFactory.getLogger(PartitionLog.class);

    private final PartitionLog log;
    private final TopicPartition tp;
    private final LogManager manager;
    /** Replaced when the topic's settings change ({@link PartitionLog#settings(LogSettings)}). */
    private volatile LogSettings settings;

    void settings(LogSettings s) {
        this.settings = s;
    }

    SegmentRetention(PartitionLog log, LogManager manager, LogSettings settings) {
        this.log = log;
        this.tp = log.topicPartition();
        this.manager = manager;
        this.settings = settings;
    }

    /**
     * Deletes whole oldest segments whose newest record is older than retentionAge, then while the
     * partition holds more than retentionBytes. Never the active segment, and never a segment whose
     * records are not all below the high watermark. Moves logStartOffset before closing the files,
     * so a reader either sees the old start and still-open files, or the new start.
     */
    void apply(long nowMillis) {
        List<Segment> dropped;
        synchronized (log.segmentsLock) {
            if (log.closed) {
                return;
            }
            Segment[] segs = log.segments;
            int drop = segmentsToDrop(
                    segs, log.highWatermark, nowMillis, settings.retentionAgeMillis(), settings.retentionBytes());
            if (drop == 0) {
                return;
            }
            dropped = new ArrayList<>(Arrays.asList(segs).subList(0, drop));
            log.segments = Arrays.copyOfRange(segs, drop, segs.length);
            log.logStartOffset = segs[drop].baseOffset;
        }
        for (Segment s : dropped) {
            try {
                s.delete(manager.io());
            } catch (IOException e) {
                LOG.warn("{}: could not delete expired segment {}", tp, s.logPath, e);
            }
        }
        LOG.info(
                "{}: retention deleted {} segment(s); log start offset is now {}",
                tp,
                dropped.size(),
                log.logStartOffset);
        try {
            manager.io().syncDirectory(log.dir());
        } catch (IOException e) {
            LOG.warn("{}: could not sync directory {}", tp, log.dir(), e);
        }
    }

    /**
     * How many of the oldest of {@code segs} retention deletes: the leading segments, oldest first,
     * that are each expired (newest record older than {@code retentionAgeMillis} before
     * {@code nowMillis}) or leave the partition over {@code retentionBytes} while kept, stopping at
     * the first that is neither. The last (active) segment is never counted, nor a segment whose
     * successor starts past {@code highWatermark} (its records are not all committed). A limit of 0
     * or less is off.
     */
    static int segmentsToDrop(
            Segment[] segs, long highWatermark, long nowMillis, long retentionAgeMillis, long retentionBytes) {
        long total = 0;
        for (Segment s : segs) {
            total += s.writtenPosition;
        }
        int drop = 0;
        while (drop < segs.length - 1 && segs[drop + 1].baseOffset <= highWatermark) {
            Segment s = segs[drop];
            boolean expired = retentionAgeMillis > 0 && s.maxTimestamp < nowMillis - retentionAgeMillis;
            boolean oversize = retentionBytes > 0 && total > retentionBytes;
            if (!expired && !oversize) {
                break;
            }
            total -= s.writtenPosition;
            drop++;
        }
        return drop;
    }
}
