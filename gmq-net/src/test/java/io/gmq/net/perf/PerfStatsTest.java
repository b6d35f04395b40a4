package io.gmq.net.perf;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Every recorded value lands in exactly one interval and in the total, with one writer or many. */
final class PerfStatsTest {
    @Test
    void aSingleWritersValuesAllCountOnceFlushed() {
        PerfStats stats = new PerfStats(true);
        long sampled = 0;
        for (int i = 1; i <= 5_000; i++) {
            stats.record(i * 1_000L, 10); // 1 us .. 5 ms
            if (i % 1_500 == 0) {
                sampled += stats.sampleInterval().records();
            }
        }
        assertTrue(stats.records() <= 5_000, "buffered values are not yet counted");
        stats.flush();
        PerfStats.Snapshot total = stats.total(stats.startNanos() + 1_000_000_000L);
        assertEquals(5_000, total.records());
        assertTrue(sampled >= 4_096 - 1_024 && sampled <= 5_000, "intervals saw the flushed values: " + sampled);
        assertEquals(2.5, total.p50Ms(), 0.01);
        assertEquals(5.0, total.maxMs(), 0.01);
        assertEquals(0.05, total.mbPerSecond(), 1e-9, "50,000 bytes in one second");
    }

    @Test
    void manyWritersNeedNoFlush() throws InterruptedException {
        PerfStats stats = new PerfStats();
        Thread[] writers = new Thread[4];
        for (int t = 0; t < writers.length; t++) {
            writers[t] = new Thread(() -> {
                for (int i = 0; i < 10_000; i++) {
                    stats.record(2_000_000L, 100);
                }
            });
            writers[t].start();
        }
        for (Thread w : writers) {
            w.join();
        }
        PerfStats.Snapshot total = stats.total(stats.startNanos() + 2_000_000_000L);
        assertEquals(40_000, total.records());
        assertEquals(2.0, total.p99Ms(), 0.01);
        assertEquals(20_000, total.recordsPerSecond(), 1e-6);
    }
}
