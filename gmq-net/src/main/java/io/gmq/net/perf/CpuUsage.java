package io.gmq.net.perf;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * CPU time of this process (all threads: the workload, the client's I/O threads, the JIT and GC)
 * over a span, per record. On a machine shared with other work throughput varies run to run;
 * the CPU a record costs does not, so this is the figure to compare code changes by.
 */
public final class CpuUsage {
    private static final double NANOS_PER_MICRO = 1e3;
    private static final double NANOS_PER_SECOND = 1e9;

    private final long startCpuNanos = processCpuNanos();

    /**
     * CPU time of the one thread that handles records {@code [total/5, total)} (a producer
     * thread, or a consumer's handler thread): call {@link #at} with each record's index on that
     * thread. Free of JIT, GC and I/O threads, so it isolates the client's per-record path.
     */
    public static final class ThreadSpan {
        private final String what;
        private final long from;
        private final long to;
        private long startCpuNanos;
        private volatile String result;

        public ThreadSpan(String what, long total) {
            this.what = what;
            this.from = total / 5;
            this.to = total - 1;
        }

        /** Call with the index (0-based) of the record this thread is working on. */
        public void at(long index) {
            if (index == from) {
                startCpuNanos = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
            } else if (index == to && to > from) {
                long used = ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime() - startCpuNanos;
                result = String.format(
                        Locale.ROOT,
                        "%s thread cpu %.3f us/record (records %d..%d)",
                        what,
                        used / NANOS_PER_MICRO / (to - from),
                        from,
                        to);
            }
        }

        /** The figure, or null if the span was not completed. */
        public String line() {
            return result;
        }
    }

    /** CPU nanoseconds this process has used so far, or -1 where the JVM cannot tell. */
    static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
    }

    /**
     * {@code cpu S s, U us/record (process, N records; process cpu T s)}: S since construction, T
     * since the JVM started (comparable with the progress lines' CPU).
     */
    public String line(long records) {
        long now = processCpuNanos();
        if (now < 0 || startCpuNanos < 0 || records <= 0) {
            return "cpu: not available";
        }
        long used = now - startCpuNanos;
        return String.format(
                Locale.ROOT,
                "cpu %.3f s, %.3f us/record (process, %d records; process cpu %.3f s)",
                used / NANOS_PER_SECOND,
                used / NANOS_PER_MICRO / records,
                records,
                now / NANOS_PER_SECOND);
    }
}
