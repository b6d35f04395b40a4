package io.gmq.testkit;

import io.gmq.TimeSource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link TimeSource} that moves only when a test says so; wall and monotonic time advance together. */
public final class ManualClock implements TimeSource {
    private final AtomicLong wallMillis;
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);

    public ManualClock() {
        this(1_700_000_000_000L);
    }

    public ManualClock(long startWallMillis) {
        this.wallMillis = new AtomicLong(startWallMillis);
    }

    public void advance(long amount, TimeUnit unit) {
        long n = unit.toNanos(amount);
        nanos.addAndGet(n);
        wallMillis.addAndGet(TimeUnit.NANOSECONDS.toMillis(n));
    }

    public void advanceMillis(long millis) {
        advance(millis, TimeUnit.MILLISECONDS);
    }

    @Override
    public long wallMillis() {
        return wallMillis.get();
    }

    @Override
    public long nanoTime() {
        return nanos.get();
    }
}
