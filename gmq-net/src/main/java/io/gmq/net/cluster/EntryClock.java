package io.gmq.net.cluster;

import io.gmq.TimeSource;

/**
 * The clock of a replica: the largest leader wall time among the entries it has applied. Every
 * replica that applied the same entries reads the same time, so session deadlines, segment ages
 * and append timestamps come out the same on all of them. It never goes back, also when a new
 * leader's wall clock is behind the old one's.
 */
final class EntryClock implements TimeSource {
    private volatile long millis;

    /** Moves the clock to {@code wallMillis} unless it is already later. Called by the one applying thread. */
    void advanceTo(long wallMillis) {
        if (wallMillis > millis) {
            millis = wallMillis;
        }
    }

    /** Sets the clock to a snapshot's (a restore may move it back, to where the snapshot was taken). */
    void restore(long wallMillis) {
        millis = wallMillis;
    }

    @Override
    public long wallMillis() {
        return millis;
    }

    @Override
    public long nanoTime() {
        return millis * 1_000_000L;
    }
}
