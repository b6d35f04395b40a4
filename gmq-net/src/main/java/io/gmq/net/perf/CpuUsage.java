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
        return String.format(Locale.ROOT, "cpu %.3f s, %.3f us/record (process, %d records; process cpu %.3f s)",
                used / NANOS_PER_SECOND, used / NANOS_PER_MICRO / records, records, now / NANOS_PER_SECOND);
    }
}
