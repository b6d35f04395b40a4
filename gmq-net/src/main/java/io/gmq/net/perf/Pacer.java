package io.gmq.net.perf;

import java.util.concurrent.locks.LockSupport;

/**
 * The intended send time of the i-th record at a fixed rate. Latency is measured from the
 * intended time, not from when the sender got round to it, so a stall delays every record
 * scheduled during it and they all show the stall (coordinated-omission correction).
 * An unlimited pacer never waits and has no intended time (the caller uses the actual one).
 */
final class Pacer {
    /** Below this the pacer spins instead of parking: parkNanos overshoots by ~50 us on Linux. */
    private static final long SPIN_NANOS = 50_000;

    private final long startNanos;
    private final double intervalNanos;

    private Pacer(long startNanos, double intervalNanos) {
        this.startNanos = startNanos;
        this.intervalNanos = intervalNanos;
    }

    /** {@code ratePerSecond <= 0}: as fast as possible. */
    static Pacer of(double ratePerSecond, long startNanos) {
        return new Pacer(startNanos, ratePerSecond > 0 ? 1e9 / ratePerSecond : 0);
    }

    boolean limited() {
        return intervalNanos > 0;
    }

    /** Waits until record {@code i} is due and returns the time it was due (now when unlimited). */
    long awaitSlot(long i) {
        if (!limited()) {
            return System.nanoTime();
        }
        long due = startNanos + (long) (i * intervalNanos);
        long left;
        while ((left = due - System.nanoTime()) > 0) {
            if (left > SPIN_NANOS) {
                LockSupport.parkNanos(left - SPIN_NANOS);
            } else {
                Thread.onSpinWait();
            }
        }
        return due;
    }
}
