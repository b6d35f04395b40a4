package io.gmq.internal.log;

import io.gmq.GmqException;
import io.gmq.storage.FetchResult;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The long-poll fetches of one {@link PartitionLog} that wait for its high watermark to pass
 * their offset: registration, the wake when the syncer (or writer) publishes a new high
 * watermark, the timeouts, and failing them all when the log closes.
 *
 * <p>Threads. Fetches park from any thread; the thread that publishes a high watermark wakes
 * them; the manager's scheduler runs the one timeout sweep. The waiter list, the sweep and its
 * due time are guarded by the list's monitor; {@link #waiterCount} is volatile so that publishing
 * a high watermark with no one waiting takes no lock. A woken waiter is not read under the lock:
 * it is handed to its own executor, which reads and completes it. A waiter parks first and then
 * re-checks the high watermark, and a publish stores the high watermark first and then checks the
 * count, so a wake cannot fall between the two and be lost.
 */
final class LongPollWaiters {
    private final PartitionLog log;
    private final LogManager manager;

    // long-poll fetches waiting for the high watermark to pass their offset
    private final List<FetchWaiter> waiters = new ArrayList<>();
    private volatile int waiterCount;
    /**
     * The one pending timeout sweep of this partition's waiters and when it runs (guarded by
     * waiters): waiters are not given a timer each, so a long poll that data ends costs no timer
     * to schedule and cancel.
     */
    private ScheduledFuture<?> sweep;

    private long sweepAtNanos;
    private final Runnable sweepTask = this::sweepExpiredWaiters;

    LongPollWaiters(PartitionLog log, LogManager manager) {
        this.log = log;
        this.manager = manager;
    }

    /**
     * Like {@link PartitionLog#fetch(long, int, long)}, but a fetch that waits is read and completed by a task
     * on {@code wakeOn} when data arrives: the thread that makes the data visible (the log's syncer)
     * hands it straight to the consumer's executor, one thread hand-off instead of two. A result
     * ready at once completes on the calling thread.
     */
    public CompletableFuture<FetchResult> fetch(long offset, int maxBytes, long maxWaitMillis, Executor wakeOn) {
        FetchResult now;
        try {
            now = log.read(offset, maxBytes);
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
        if (!now.isEmpty() || now.outOfRange() || maxWaitMillis <= 0) {
            return CompletableFuture.completedFuture(now);
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(maxWaitMillis);
        FetchWaiter waiter = new FetchWaiter(offset, maxBytes, deadline, wakeOn);
        synchronized (waiters) {
            if (!sweepNoLaterThan(deadline)) {
                return CompletableFuture.completedFuture(now); // shutting down: no wait
            }
            waiters.add(waiter);
            waiterCount = waiters.size();
        }
        if (log.highWatermark > offset || log.closed) {
            wakeWaiters(); // the data came while the waiter was parked
        }
        return waiter.future;
    }

    /**
     * Makes sure a sweep runs by {@code deadline}: keeps the pending one if it runs no later,
     * otherwise schedules an earlier one. False if the scheduler is shut down.
     */
    private boolean sweepNoLaterThan(long deadline) {
        if (sweep != null) {
            if (sweepAtNanos - deadline <= 0) {
                return true;
            }
            sweep.cancel(false);
        }
        try {
            sweep = manager.scheduler()
                    .schedule(sweepTask, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            sweepAtNanos = deadline;
            return true;
        } catch (RejectedExecutionException shuttingDown) {
            sweep = null;
            return false;
        }
    }

    /** Runs on the scheduler: ends the waits that are due (each on its executor), and books the next sweep if any remain. */
    private void sweepExpiredWaiters() {
        long now = System.nanoTime();
        List<FetchWaiter> due = null;
        synchronized (waiters) {
            sweep = null;
            long next = 0;
            boolean any = false;
            for (int i = waiters.size() - 1; i >= 0; i--) {
                FetchWaiter w = waiters.get(i);
                if (w.deadlineNanos - now <= 0) {
                    if (due == null) {
                        due = new ArrayList<>();
                    }
                    due.add(w);
                    waiters.remove(i);
                } else if (!any || w.deadlineNanos - next < 0) {
                    next = w.deadlineNanos;
                    any = true;
                }
            }
            waiterCount = waiters.size();
            if (any) {
                sweepNoLaterThan(next);
            }
        }
        if (due != null) {
            wakeAll(due);
        }
    }

    /** Hands every waiter the high watermark has passed to its executor (any thread). */
    private void wakeWaiters() {
        long hw = log.highWatermark;
        List<FetchWaiter> ready = null;
        synchronized (waiters) {
            for (int i = waiters.size() - 1; i >= 0; i--) {
                FetchWaiter w = waiters.get(i);
                if (w.offset < hw || log.closed) {
                    if (ready == null) {
                        ready = new ArrayList<>();
                    }
                    ready.add(w);
                    waiters.remove(i);
                }
            }
            waiterCount = waiters.size();
        }
        if (ready != null) {
            wakeAll(ready);
        }
    }

    private static void wakeAll(List<FetchWaiter> ready) {
        for (FetchWaiter w : ready) {
            try {
                w.wakeOn.execute(w);
            } catch (RejectedExecutionException shuttingDown) {
                w.complete();
            }
        }
    }

    /** After a new high watermark is published (any thread): wakes the waiters it passed, if any wait. */
    void wakeIfWaiting() {
        if (waiterCount > 0) {
            wakeWaiters();
        }
    }

    /** The log closed: every waiting fetch fails with UNAVAILABLE. */
    void failAllClosed() {
        List<FetchWaiter> toWake;
        synchronized (waiters) {
            toWake = new ArrayList<>(waiters);
            waiters.clear();
            waiterCount = 0;
        }
        for (FetchWaiter w : toWake) {
            w.future.completeExceptionally(log.closedError());
        }
    }

    /** A parked long-poll fetch; run on its executor when data arrives. */
    private final class FetchWaiter implements Runnable {
        final long offset;
        final int maxBytes;
        final long deadlineNanos;
        final Executor wakeOn;
        final CompletableFuture<FetchResult> future = new CompletableFuture<>();

        FetchWaiter(long offset, int maxBytes, long deadlineNanos, Executor wakeOn) {
            this.offset = offset;
            this.maxBytes = maxBytes;
            this.deadlineNanos = deadlineNanos;
            this.wakeOn = wakeOn;
        }

        @Override
        public void run() {
            complete();
        }

        void complete() {
            if (future.isDone()) {
                return;
            }
            try {
                future.complete(log.read(offset, maxBytes));
            } catch (GmqException e) {
                future.completeExceptionally(e);
            }
        }
    }
}
