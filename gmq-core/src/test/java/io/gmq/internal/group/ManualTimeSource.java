package io.gmq.internal.group;

import io.gmq.TimeSource;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** A clock that moves only when the test says so. Both readings advance together. */
final class ManualTimeSource implements TimeSource {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final AtomicLong wallMillis = new AtomicLong(1_700_000_000_000L);

    void advance(long amount, TimeUnit unit) {
        long n = unit.toNanos(amount);
        nanos.addAndGet(n);
        wallMillis.addAndGet(TimeUnit.NANOSECONDS.toMillis(n));
    }

    void advanceMillis(long millis) {
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
