package io.gmq.internal.log;

import io.gmq.TimeSource;
import java.util.concurrent.atomic.AtomicLong;

/** A {@link TimeSource} that moves only when a test says so. */
public final class ManualClock implements TimeSource {
    private final AtomicLong wallMillis;
    private final AtomicLong nanos = new AtomicLong();

    public ManualClock(long startWallMillis) {
        this.wallMillis = new AtomicLong(startWallMillis);
    }

    public void advanceMillis(long millis) {
        wallMillis.addAndGet(millis);
        nanos.addAndGet(millis * 1_000_000L);
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
