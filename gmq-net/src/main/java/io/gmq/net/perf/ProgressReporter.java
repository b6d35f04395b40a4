package io.gmq.net.perf;

import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Prints one progress line per second from its own thread while a run lasts, ending with the
 * process's CPU time so far: the CPU per record of a steady stretch is the difference of two
 * lines' CPU over the difference of their record counts (JVM start and JIT left out).
 */
final class ProgressReporter implements AutoCloseable {
    private static final long PERIOD_MILLIS = 1000;

    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "gmq-perf-progress");
        t.setDaemon(true);
        return t;
    });

    ProgressReporter(PerfStats stats, PrintStream out) {
        timer.scheduleAtFixedRate(
                () -> {
                    PerfStats.Snapshot s = stats.sampleInterval();
                    // records and CPU read at the same moment: two lines give the CPU per record in between
                    long cpu = CpuUsage.processCpuNanos();
                    out.println(s.progressLine(stats.records(), System.nanoTime() - stats.startNanos())
                            + String.format(Locale.ROOT, "; process cpu %.3f s", cpu / 1e9));
                    out.flush();
                },
                PERIOD_MILLIS,
                PERIOD_MILLIS,
                TimeUnit.MILLISECONDS);
    }

    /** Stops reporting; no progress line is printed after this returns. */
    @Override
    public void close() {
        timer.shutdown();
        try {
            timer.awaitTermination(PERIOD_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
