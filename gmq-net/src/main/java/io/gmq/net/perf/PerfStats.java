package io.gmq.net.perf;

import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.HdrHistogram.WriterReaderPhaser;

/**
 * Counts and latencies of one perf run. Writers ({@link #record}) are the threads that complete
 * publishes or run handlers, many at once; they never block each other (HdrHistogram's
 * {@link Recorder} is wait-free for writers), or a single handler thread
 * ({@link #PerfStats(boolean)}), which buffers {@link #PENDING} values in an array and folds them
 * into the interval histogram at once, under one {@link WriterReaderPhaser} critical section:
 * two atomic operations per 1,024 records instead of four per record (consume profiles found the
 * per-record ones costing the handler thread as much as the client's own work). One reader
 * ({@link #sampleInterval}, from the
 * progress thread and once more at the end) swaps out the interval histogram and adds it to the
 * run's total, so every value lands in exactly one interval and in the total.
 *
 * <p>MB are 10^6 bytes; latencies are printed in milliseconds with microsecond precision.
 */
public final class PerfStats {
    private static final int SIGNIFICANT_DIGITS = 3;
    private static final double NANOS_PER_MILLI = 1e6;
    private static final double NANOS_PER_SECOND = 1e9;
    private static final double BYTES_PER_MB = 1e6;

    /** Values a single writer buffers before folding them in (see the class comment). */
    static final int PENDING = 1024;
    /** A slow writer (1,000 records/s) folds in at least every 16 records once this much time passed. */
    private static final long MAX_HOLD_NANOS = 50_000_000;

    private static final int CLOCK_CHECK = 16;

    /** Set for any number of recording threads; null for exactly one (the fields below). */
    private final Recorder recorder;

    // Single writer: owned by the writing thread until flushed.
    private final long[] pendingValues;
    private int pendingCount;
    private long pendingBytes;
    private long lastFlushNanos = System.nanoTime();
    // Single writer: the writer records into active inside the phaser's critical section; the
    // reader swaps active and inactive (under this monitor and the phaser's reader lock).
    private final WriterReaderPhaser phaser;
    private volatile Histogram active;
    private Histogram inactive;
    private final LongAdder records = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final long startNanos = System.nanoTime();
    // guarded by this: only the sampling side touches them
    private final Histogram total = new Histogram(SIGNIFICANT_DIGITS);
    private Histogram interval;
    private long lastSampleNanos = startNanos;
    private long lastSampleRecords;
    private long lastSampleBytes;

    /** Stats that any number of threads record into. */
    public PerfStats() {
        this(false);
    }

    /**
     * @param singleWriter true if only one thread ever calls {@link #record} (a consumer's handler
     *     thread), which must then call {@link #flush} after its last record
     */
    public PerfStats(boolean singleWriter) {
        this.recorder = singleWriter ? null : new Recorder(SIGNIFICANT_DIGITS);
        this.pendingValues = singleWriter ? new long[PENDING] : null;
        this.phaser = singleWriter ? new WriterReaderPhaser() : null;
        this.active = singleWriter ? new Histogram(SIGNIFICANT_DIGITS) : null;
        this.inactive = singleWriter ? new Histogram(SIGNIFICANT_DIGITS) : null;
    }

    /** Counts one record of {@code size} bytes whose latency was {@code latencyNanos}. */
    public void record(long latencyNanos, int size) {
        if (recorder != null) {
            recorder.recordValue(Math.max(0, latencyNanos));
            records.increment();
            bytes.add(size);
            return;
        }
        pendingValues[pendingCount++] = Math.max(0, latencyNanos);
        pendingBytes += size;
        if (pendingCount == PENDING
                || ((pendingCount & (CLOCK_CHECK - 1)) == 0 && System.nanoTime() - lastFlushNanos > MAX_HOLD_NANOS)) {
            flush();
        }
    }

    /**
     * Single writer: makes every value recorded so far visible to the reader. Called by the
     * writer after its last record (and by {@link #record} every {@link #PENDING} values); a no-op
     * with many writers, whose values are visible at once.
     */
    public void flush() {
        if (recorder != null || pendingCount == 0) {
            return;
        }
        long critical = phaser.writerCriticalSectionEnter();
        try {
            Histogram h = active;
            for (int i = 0; i < pendingCount; i++) {
                h.recordValue(pendingValues[i]);
            }
        } finally {
            phaser.writerCriticalSectionExit(critical);
        }
        records.add(pendingCount);
        bytes.add(pendingBytes);
        pendingCount = 0;
        pendingBytes = 0;
        lastFlushNanos = System.nanoTime();
    }

    /** Counts one record without a latency. */
    public void count(int size) {
        records.increment();
        bytes.add(size);
    }

    public long records() {
        return records.sum();
    }

    /** What happened since the previous sample; folds it into the total. */
    public synchronized Snapshot sampleInterval() {
        long now = System.nanoTime();
        interval = recorder != null ? recorder.getIntervalHistogram(interval) : swapSingleWriterInterval();
        total.add(interval);
        long r = records.sum();
        long b = bytes.sum();
        Snapshot s = snapshot(r - lastSampleRecords, b - lastSampleBytes, now - lastSampleNanos, interval);
        lastSampleNanos = now;
        lastSampleRecords = r;
        lastSampleBytes = b;
        return s;
    }

    /** Single writer: the values folded in since the last swap, as a histogram the writer no longer touches. */
    private Histogram swapSingleWriterInterval() {
        phaser.readerLock();
        try {
            inactive.reset();
            Histogram filled = active;
            active = inactive;
            inactive = filled;
            phaser.flipPhase();
            return filled.copy(); // inactive is reset and reused at the next swap
        } finally {
            phaser.readerUnlock();
        }
    }

    /** The whole run from construction to {@code endNanos} (takes a last interval sample first). */
    public Snapshot total(long endNanos) {
        return total(startNanos, endNanos);
    }

    /** Every record counted, over the span [{@code fromNanos}, {@code toNanos}]. */
    public synchronized Snapshot total(long fromNanos, long toNanos) {
        sampleInterval();
        return snapshot(records.sum(), bytes.sum(), toNanos - fromNanos, total);
    }

    public long startNanos() {
        return startNanos;
    }

    private static Snapshot snapshot(long records, long bytes, long elapsedNanos, Histogram h) {
        double secs = Math.max(1, elapsedNanos) / NANOS_PER_SECOND;
        boolean empty = h.getTotalCount() == 0;
        return new Snapshot(
                records,
                records / secs,
                bytes / secs / BYTES_PER_MB,
                elapsedNanos,
                empty ? 0 : h.getMean() / NANOS_PER_MILLI,
                ms(h, empty, 50),
                ms(h, empty, 99),
                ms(h, empty, 99.9),
                empty ? 0 : h.getMaxValue() / NANOS_PER_MILLI);
    }

    private static double ms(Histogram h, boolean empty, double percentile) {
        return empty ? 0 : h.getValueAtPercentile(percentile) / NANOS_PER_MILLI;
    }

    /** Figures of an interval or of the whole run; latencies in milliseconds. */
    public record Snapshot(
            long records,
            double recordsPerSecond,
            double mbPerSecond,
            long elapsedNanos,
            double avgMs,
            double p50Ms,
            double p99Ms,
            double p999Ms,
            double maxMs) {

        /** The one summary line of a run (a contract: scripts parse it). */
        public String summaryLine() {
            return String.format(
                    Locale.ROOT,
                    "%d records, %.0f records/s, %.2f MB/s, avg %.3f ms, p50 %.3f ms, "
                            + "p99 %.3f ms, p99.9 %.3f ms, max %.3f ms",
                    records,
                    recordsPerSecond,
                    mbPerSecond,
                    avgMs,
                    p50Ms,
                    p99Ms,
                    p999Ms,
                    maxMs);
        }

        /** One progress line: records so far, then the rate and latencies of the last interval. */
        public String progressLine(long recordsSoFar, long sinceStartNanos) {
            return String.format(
                    Locale.ROOT,
                    "[%6.1f s] %d records so far; last interval: %.0f records/s, "
                            + "%.2f MB/s, p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms",
                    sinceStartNanos / NANOS_PER_SECOND,
                    recordsSoFar,
                    recordsPerSecond,
                    mbPerSecond,
                    p50Ms,
                    p99Ms,
                    p999Ms,
                    maxMs);
        }
    }
}
