package io.gmq.internal.storage;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.storage.AppendResult;
import io.gmq.storage.Storage;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * Keeps a partition growth and keyed appends apart, so a growth's boundaries lie above every
 * keyed record routed with the old count and below every one routed with the new count.
 *
 * <p>A keyed append (one that says the count it was routed with) is admitted under the read lock:
 * its count is checked against the topic's, and it is counted in flight until its future
 * completes. A growth takes the write lock (no keyed append is admitted any more), waits until
 * the admitted ones completed (each has its offsets then, see
 * {@link io.gmq.internal.log.PartitionLog#assignedEnd()}), reads the boundaries and changes the
 * count, then lets appends in again: a keyed append routed with the old count is refused from
 * then on ({@link Storage#STALE_ROUTING}), one routed with the new count is written after the
 * boundary. Appends without a key never take the lock, so they pay nothing.
 */
final class KeyedAppendGate {
    /** Longest wait for admitted appends before a growth gives up (the log is stuck). */
    static final long DRAIN_TIMEOUT_MILLIS = 30_000;

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final AtomicInteger inFlight = new AtomicInteger();

    /**
     * Runs {@code append} if {@code routedPartitions} is the topic's count now ({@code current}) or
     * 0 (not routed by key: admitted unchecked, still counted, for a replica whose boundaries must
     * not depend on timing); else a future failed with FAILED_PRECONDITION naming both counts
     * (nothing is written).
     */
    CompletableFuture<AppendResult> admit(
            String topic, int routedPartitions, IntSupplier current, Supplier<CompletableFuture<AppendResult>> append) {
        lock.readLock().lock();
        try {
            int now = routedPartitions > 0 ? current.getAsInt() : 0;
            if (now != routedPartitions) {
                return CompletableFuture.failedFuture(stale(topic, routedPartitions, now));
            }
            inFlight.incrementAndGet();
            CompletableFuture<AppendResult> f;
            try {
                f = append.get();
            } catch (RuntimeException e) {
                inFlight.decrementAndGet();
                throw e;
            }
            f.whenComplete((r, e) -> inFlight.decrementAndGet());
            return f;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The refusal of a keyed append routed with a count the topic no longer (or not yet) has. */
    static GmqException stale(String topic, int routed, int now) {
        return new GmqException(
                ErrorCode.FAILED_PRECONDITION,
                Storage.STALE_ROUTING + "a keyed batch for topic '" + topic + "' was routed with " + routed
                        + " partitions, the topic has " + now + "; refresh its metadata and route the batch again"
                        + " (nothing was stored)");
    }

    /** Runs {@code growth} with no keyed append admitted and none in flight. */
    <T> T exclusive(Supplier<T> growth) {
        lock.writeLock().lock();
        try {
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_TIMEOUT_MILLIS);
            while (inFlight.get() > 0) {
                if (System.nanoTime() - deadline > 0) {
                    throw new GmqException(
                            ErrorCode.UNAVAILABLE,
                            "keyed appends did not complete within " + DRAIN_TIMEOUT_MILLIS
                                    + " ms; the partition count was not changed, retry");
                }
                LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200));
            }
            return growth.get();
        } finally {
            lock.writeLock().unlock();
        }
    }
}
