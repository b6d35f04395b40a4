package io.gmq.internal.log;

import java.util.Arrays;

/**
 * Keeps the number of open segment files of one {@link LogManager} under {@code maxOpenFiles}
 * ({@link io.gmq.GmqConfig#maxOpenFiles()}): every {@link SegmentFiles} (two descriptors: the
 * {@code .log} and the {@code .index}) is registered here when it is opened, and registering one
 * more than the cap closes the least recently used idle one, sealed segment or idle partition's
 * active segment alike. The segment reopens its files on its next read or append.
 *
 * <p>Replacement is CLOCK (second chance), the usual constant-time approximation of LRU: a pin sets
 * the handle's {@code referenced} bit (one plain write, only when it was clear), and the sweep
 * clears set bits and closes the first handle whose bit was already clear. So the hot path never
 * touches a shared list or lock; only opening a file takes this object's monitor, briefly.
 *
 * <p>Pinned handles are skipped, never closed: if every handle is pinned (more threads inside
 * reads and writes than the cap allows segments), the cache lets the count run over by those pins
 * and closes the excess at the following opens, once they have ended. Closing an evicted handle that holds unforced writes forces it
 * first (see {@link Segment#closeEvicted}); that runs on the thread that opened the new handle, after
 * this monitor is released, so one slow fsync never blocks other opens.
 */
final class SegmentFileCache {
    /** Descriptors one open segment holds: its log and its index. */
    static final int FILES_PER_SEGMENT = 2;

    private final LogFileIO io;
    private final int maxSegments;

    // guarded by this
    private SegmentFiles[] ring;
    private int size;
    private int hand;
    private long evictions;

    SegmentFileCache(LogFileIO io, int maxOpenFiles) {
        this.io = io;
        this.maxSegments = Math.max(1, maxOpenFiles / FILES_PER_SEGMENT);
        this.ring = new SegmentFiles[Math.min(maxSegments, 1024) + 1];
    }

    LogFileIO io() {
        return io;
    }

    /** Open segment files now (tests and metrics). */
    synchronized int openFiles() {
        return size * FILES_PER_SEGMENT;
    }

    /** Handles closed to stay under the cap so far (tests and metrics). */
    synchronized long evictions() {
        return evictions;
    }

    int maxOpenFiles() {
        return maxSegments * FILES_PER_SEGMENT;
    }

    /**
     * Registers a just-opened handle (the caller holds a pin on it, so it is not itself a victim),
     * then closes idle handles until the count is back under the cap or nothing idle is left.
     */
    void admit(SegmentFiles files) {
        synchronized (this) {
            if (size == ring.length) {
                ring = Arrays.copyOf(ring, size * 2);
            }
            files.slot = size;
            ring[size++] = files;
        }
        while (true) {
            SegmentFiles victim;
            synchronized (this) {
                victim = size > maxSegments ? claimVictim() : null;
                if (victim != null) {
                    removeFromRing(victim);
                    evictions++;
                }
            }
            if (victim == null) {
                return;
            }
            victim.segment.closeEvicted(victim);
        }
    }

    /** Forgets a handle that its segment closes itself (retention, topic deletion, shutdown). */
    synchronized void remove(SegmentFiles files) {
        if (files.slot >= 0) {
            removeFromRing(files);
        }
    }

    /**
     * The CLOCK sweep: at most two turns of the hand (the first may only clear reference bits).
     * Returns a handle retired for the caller to close, or null when every handle is pinned.
     */
    private SegmentFiles claimVictim() {
        for (int step = 0; step < 2 * size; step++) {
            if (hand >= size) {
                hand = 0;
            }
            SegmentFiles candidate = ring[hand];
            if (candidate.referenced) {
                candidate.referenced = false;
            } else if (candidate.tryClaimIdle()) {
                return candidate;
            }
            hand++;
        }
        return null;
    }

    /** Moves the last handle into the hole; the sweep order changes a little, which CLOCK tolerates. */
    private void removeFromRing(SegmentFiles files) {
        int at = files.slot;
        int last = size - 1;
        if (at != last) {
            ring[at] = ring[last];
            ring[at].slot = at;
        }
        ring[last] = null;
        files.slot = -1;
        size = last;
    }
}
