package io.gmq.internal.log;

import io.gmq.ErrorCode;
import io.gmq.FlushPolicy;
import io.gmq.GmqException;
import io.gmq.TimeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;
import org.agrona.concurrent.ManyToOneConcurrentArrayQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The group commit: one thread ({@code gmq-log-writer}) per {@link LogManager} drains the append
 * requests of every partition, writes each partition's batches with one gather write, and hands
 * the cycle on; many producers' batches cost one write and one fsync.
 *
 * <p>Under {@link FlushPolicy#SYNC} a second thread ({@code gmq-log-syncer}) forces the segments of
 * cycle N and then publishes its high watermarks and completes its futures, while the writer
 * already writes cycle N+1 (two {@link CommitCycle}s ping-pong between them). The writer therefore
 * never waits for the disk except when the syncer is a whole cycle behind, and while it waits the
 * queue fills up, so the next cycle is bigger: the batch size adapts to the fsync latency. Under
 * the other policies the writer completes each cycle itself right after the write; INTERVAL asks
 * it to force what was written since the last force every interval.
 *
 * <p>Under SYNC, a cycle that wrote to several segments but few bytes is also copied into the
 * {@link CommitJournal}, and the syncer then forces that one file instead of each segment.
 *
 * <p>The queue is Agrona's {@link ManyToOneConcurrentArrayQueue}: many producers, one consumer,
 * lock-free, and unlike a linked queue it allocates nothing per offer. It is bounded, which is the
 * back-pressure: a producer that finds it full waits (yielding) until the writer catches up.
 */
final class LogWriter {
    private static final Logger LOG = LoggerFactory.getLogger(LogWriter.class);
    private static final int MAX_REQUESTS_PER_CYCLE = 4096;
    private static final long IDLE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final ManyToOneConcurrentArrayQueue<AppendRequest> queue;
    private final boolean pipelinedSync;
    private final TimeSource clock;
    private final Thread writerThread;
    private final Thread syncerThread;
    private final BlockingQueue<CommitCycle> freeCycles = new ArrayBlockingQueue<>(2);
    private final BlockingQueue<CommitCycle> cyclesToSync = new ArrayBlockingQueue<>(2);
    private final CommitCycle poison = new CommitCycle();
    private final CommitCycle inlineCycle = new CommitCycle();
    /** The commit journal (SYNC only), or null. */
    private final CommitJournal journal;

    private final LogMetrics metrics;

    private final AtomicInteger offersInFlight = new AtomicInteger();
    private final Consumer<AppendRequest> drainHandler = this::accept;

    // writer-owned
    private final List<PartitionLog> dirty = new ArrayList<>();
    private final List<AppendRequest> barriers = new ArrayList<>();
    private final List<AppendRequest> checkpoints = new ArrayList<>();
    private final List<PartitionLog> unforced = new ArrayList<>();

    private volatile boolean parked;
    private volatile boolean closing;
    private volatile boolean stopRequested;
    private volatile boolean forceRequested;

    /**
     * @param journal the commit journal, or null for none (it is used under SYNC only)
     * @param queueCapacity append requests the queue holds ({@link io.gmq.GmqConfig#appendQueueCapacity()})
     * @param metrics records the size of each group commit
     */
    LogWriter(FlushPolicy policy, TimeSource clock, CommitJournal journal, int queueCapacity, LogMetrics metrics) {
        this.queue = new ManyToOneConcurrentArrayQueue<>(queueCapacity);
        this.metrics = metrics;
        this.pipelinedSync = policy.syncBeforeAck();
        this.journal = pipelinedSync ? journal : null;
        this.clock = clock;
        this.writerThread = new Thread(this::runWriter, "gmq-log-writer");
        this.writerThread.setDaemon(true);
        if (pipelinedSync) {
            freeCycles.add(new CommitCycle());
            freeCycles.add(new CommitCycle());
            this.syncerThread = new Thread(this::runSyncer, "gmq-log-syncer");
            this.syncerThread.setDaemon(true);
        } else {
            this.syncerThread = null;
        }
    }

    void start() {
        writerThread.start();
        if (syncerThread != null) {
            syncerThread.start();
        }
    }

    /** Queues a request; false if the writer is closing (the caller fails the request). */
    boolean offer(AppendRequest request) {
        offersInFlight.incrementAndGet();
        try {
            if (closing) {
                return false;
            }
            while (!queue.offer(request)) {
                LockSupport.unpark(writerThread);
                Thread.yield();
            }
            if (parked) {
                LockSupport.unpark(writerThread);
            }
            return true;
        } finally {
            offersInFlight.decrementAndGet();
        }
    }

    /** A future that completes once everything queued before it has completed. */
    java.util.concurrent.CompletableFuture<?> barrier() {
        AppendRequest b = AppendRequest.barrier();
        if (!offer(b)) {
            b.future.complete(null);
        }
        return b.future;
    }

    /**
     * A barrier that also retires the current commit journal file: it completes once everything
     * queued before it has completed and every segment the journal's entries wrote to is forced,
     * so no journal entry written before it is replayed at the next open. Exceptionally if a
     * segment could not be forced (the journal file then stays).
     */
    java.util.concurrent.CompletableFuture<?> checkpoint() {
        AppendRequest c = AppendRequest.checkpoint();
        if (!offer(c)) {
            c.future.complete(null);
        }
        return c.future;
    }

    /** Asks the writer to force everything written since the last force (INTERVAL policy). */
    void requestForce() {
        forceRequested = true;
        LockSupport.unpark(writerThread);
    }

    /**
     * Stops accepting requests, lets the writer finish every queued one (and the syncer every
     * cycle), and waits for both threads to end.
     */
    void close() {
        closing = true;
        while (offersInFlight.get() != 0) {
            Thread.onSpinWait();
        }
        stopRequested = true;
        LockSupport.unpark(writerThread);
        joinQuietly(writerThread);
        if (syncerThread != null) {
            joinQuietly(syncerThread);
        }
    }

    private static void joinQuietly(Thread t) {
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private void accept(AppendRequest r) {
        if (r.checkpoint) {
            checkpoints.add(r);
        } else if (r.isBarrier()) {
            barriers.add(r);
        } else {
            if (!r.log.hasPending()) {
                dirty.add(r.log);
            }
            r.log.addPending(r);
        }
    }

    private void runWriter() {
        try {
            while (true) {
                int n = queue.drain(drainHandler, MAX_REQUESTS_PER_CYCLE);
                if (n > 0) {
                    writeCycle();
                }
                if (forceRequested) {
                    forceRequested = false;
                    forceUnforced();
                }
                if (n == 0) {
                    if (stopRequested && queue.isEmpty()) {
                        break;
                    }
                    parked = true;
                    if (queue.isEmpty() && !stopRequested && !forceRequested) {
                        LockSupport.parkNanos(this, IDLE_PARK_NANOS);
                    }
                    parked = false;
                }
            }
        } catch (Throwable t) {
            LOG.error("log writer failed; appends will fail until the log is reopened", t);
            failQueued(t);
        } finally {
            if (syncerThread != null) {
                putUninterruptibly(cyclesToSync, poison);
            }
        }
    }

    private void failQueued(Throwable cause) {
        GmqException error = new GmqException(ErrorCode.INTERNAL, "log writer failed: " + cause, cause);
        closing = true;
        queue.drain(r -> r.future.completeExceptionally(error));
        for (PartitionLog log : dirty) {
            log.failPending(error);
        }
        for (AppendRequest b : barriers) {
            b.future.complete(null);
        }
        for (AppendRequest c : checkpoints) {
            c.future.completeExceptionally(error);
        }
    }

    private void writeCycle() {
        CommitCycle cycle = pipelinedSync ? takeUninterruptibly(freeCycles) : inlineCycle;
        long now = clock.wallMillis();
        for (int i = 0; i < dirty.size(); i++) {
            PartitionLog log = dirty.get(i);
            try {
                log.writePending(cycle, now);
            } catch (RuntimeException bug) {
                // A bug in one partition's write path must not stop the writer for all the others.
                LOG.error("{}: unexpected error writing a cycle", log.topicPartition(), bug);
                log.failPending(new GmqException(
                        ErrorCode.INTERNAL,
                        log.topicPartition() + ": unexpected error in the log writer: " + bug,
                        bug));
            }
            if (!pipelinedSync && !log.unforced) {
                log.unforced = true;
                unforced.add(log);
            }
        }
        dirty.clear();
        if (cycle.frameCount() > 0) {
            metrics.groupCommit(cycle.frameCount(), cycle.bytes());
        }
        for (int i = 0; i < barriers.size(); i++) {
            cycle.addRequest(barriers.get(i));
        }
        barriers.clear();
        if (pipelinedSync) {
            if (!checkpoints.isEmpty()) {
                // Not journaled: the retired file must hold every entry before the checkpoint.
                cycle.retired = journal == null ? null : journal.retireCurrent();
                cycle.addCheckpoints(checkpoints);
                checkpoints.clear();
            } else if (journal != null) {
                journal.journal(cycle);
            }
            cycle.completeWritten();
            putUninterruptibly(cyclesToSync, cycle);
        } else {
            for (int i = 0; i < checkpoints.size(); i++) {
                cycle.addRequest(checkpoints.get(i)); // no journal: a checkpoint is a barrier
            }
            checkpoints.clear();
            cycle.completeWritten();
            cycle.complete();
            cycle.clear();
        }
    }

    private void forceUnforced() {
        for (int i = 0; i < unforced.size(); i++) {
            PartitionLog log = unforced.get(i);
            log.unforced = false;
            log.forceActive();
        }
        unforced.clear();
    }

    private void runSyncer() {
        while (true) {
            CommitCycle cycle = takeUninterruptibly(cyclesToSync);
            if (cycle == poison) {
                return;
            }
            try {
                if (cycle.journalFile == null || !journal.force(cycle.journalFile)) {
                    cycle.force();
                }
                cycle.complete();
            } catch (Throwable t) {
                LOG.error("log syncer failed to complete a cycle", t);
            } finally {
                CommitJournal.JournalFile retired = cycle.retired;
                List<AppendRequest> done = cycle.takeCheckpoints();
                cycle.clear();
                putUninterruptibly(freeCycles, cycle);
                if (journal != null && (retired != null || done != null)) {
                    journal.retireLater(retired, done);
                } else if (done != null) {
                    done.forEach(c -> c.future.complete(null));
                }
            }
        }
    }

    private static <T> T takeUninterruptibly(BlockingQueue<T> q) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return q.take();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static <T> void putUninterruptibly(BlockingQueue<T> q, T item) {
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    q.put(item);
                    return;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
