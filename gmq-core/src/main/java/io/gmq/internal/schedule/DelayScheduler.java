package io.gmq.internal.schedule;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.ScheduleLimits;
import io.gmq.TimeSource;
import io.gmq.TopicPartition;
import io.gmq.internal.state.StateDb;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import io.gmq.storage.FetchResult;
import io.gmq.storage.ScheduleResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delayed messages of one local storage: keeps each scheduled batch in {@link ScheduleStore} and
 * appends it to its partition when it is due, exactly once (the store's comment has the
 * crash-safety argument).
 *
 * <p>One thread ({@code gmq-delay-scheduler}) does all of it: inserts of many publishers are
 * group-committed in one transaction; a single timer is armed at the earliest due time (no
 * polling); a firing round appends every due batch of a partition as one frame (records in due
 * order, each with header {@value #SCHEDULE_ID_HEADER}, timestamp = the time it is appended) and
 * then deletes their rows. Due times are wall-clock millis ({@link TimeSource#wallMillis()}); the
 * timer waits on the monotonic clock, so the owner also calls {@link #poke()} from its periodic
 * tick: a wall clock that jumped (or a test's clock) is noticed on the next tick.
 */
public final class DelayScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DelayScheduler.class);

    /** Header of every record appended from the schedule: its schedule id, in decimal. */
    public static final String SCHEDULE_ID_HEADER = "gmq-schedule-id";

    /** Rows per firing query (a round repeats until nothing due is left). */
    static final int FIRE_LIMIT = 10_000;
    /** Frame bytes per firing query (at least one row). */
    static final long FIRE_BYTES = 32L << 20;
    /** Inserts per transaction. */
    static final int INSERT_LIMIT = 1000;
    /** How soon a firing whose append failed is tried again. */
    static final long RETRY_MILLIS = 1000;
    /** A round that appends at least this many records says so in the log (backlogs, restarts). */
    static final int LOG_ROUND_RECORDS = 1000;
    /** Bytes read per fetch while looking for fired ids after a crash. */
    static final int SCAN_BYTES = 1 << 20;

    /** The partitions scheduled batches go to. */
    public interface TargetLog {
        /** The partition's end offset (high watermark), or -1 if the topic or partition is gone. */
        long endOffset(TopicPartition tp);

        /** Appends a frame durably. */
        CompletableFuture<AppendResult> append(TopicPartition tp, ByteBuffer frame);

        /** Reads frames from {@code offset} without waiting. */
        FetchResult read(TopicPartition tp, long offset, int maxBytes);
    }

    private record Pending(
            TopicPartition tp, long deliverAt, int records, byte[] frame, CompletableFuture<ScheduleResult> result) {}

    private final ScheduleStore store;
    private final TimeSource clock;
    private final ScheduleLimits limits;
    private final int maxBatchBytes;
    private final int maxMessageBytes;
    private final TargetLog log;
    private final ScheduledExecutorService thread;

    private final ConcurrentLinkedQueue<Pending> pending = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drainQueued = new AtomicBoolean();
    private final AtomicBoolean roundQueued = new AtomicBoolean();
    /** Scheduled records per partition (rows inserted and not yet deleted). */
    private final ConcurrentHashMap<TopicPartition, Long> records = new ConcurrentHashMap<>();
    /** Frame bytes of every row plus those reserved by inserts in progress. */
    private final AtomicLong bytes = new AtomicLong();

    private final AtomicLong fired = new AtomicLong();

    /** Earliest due time of a waiting row (or of a firing to retry); MAX_VALUE: none. Written by the thread. */
    private volatile long nextDue = Long.MAX_VALUE;
    /** The armed timer and its due time (the thread's). */
    private ScheduledFuture<?> armed;

    private long armedAt = Long.MAX_VALUE;
    private volatile boolean closed;

    /**
     * Opens the schedule in {@code db} and starts its thread, which first settles firings a crash
     * interrupted, then arms the timer.
     */
    public DelayScheduler(
            StateDb db,
            TimeSource clock,
            ScheduleLimits limits,
            int maxBatchBytes,
            int maxMessageBytes,
            TargetLog log) {
        this.store = new ScheduleStore(db);
        this.clock = clock;
        this.limits = limits;
        this.maxBatchBytes = maxBatchBytes;
        this.maxMessageBytes = maxMessageBytes;
        this.log = log;
        for (Map.Entry<TopicPartition, long[]> e : store.totals().entrySet()) {
            records.put(e.getKey(), e.getValue()[0]);
            bytes.addAndGet(e.getValue()[1]);
        }
        java.util.concurrent.ScheduledThreadPoolExecutor executor =
                new java.util.concurrent.ScheduledThreadPoolExecutor(1, r -> {
                    Thread t = new Thread(r, "gmq-delay-scheduler");
                    t.setDaemon(true);
                    return t;
                });
        executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false); // close never waits for a due time
        executor.setRemoveOnCancelPolicy(true);
        this.thread = executor;
        roundQueued.set(true);
        thread.execute(this::round);
    }

    /**
     * Keeps {@code frame} (one unsealed frame, checked here) for {@code tp} until {@code deliverAt};
     * completes once its row is committed. The caller checked that the partition exists.
     */
    public CompletableFuture<ScheduleResult> schedule(TopicPartition tp, ByteBuffer frame, long deliverAt) {
        try {
            if (closed) {
                throw new GmqException(ErrorCode.UNAVAILABLE, "storage is closed");
            }
            long now = clock.wallMillis();
            long maxDelay = limits.maxDelay().toMillis();
            if (deliverAt - now > maxDelay) {
                throw GmqException.invalidArgument("delivery time " + java.time.Instant.ofEpochMilli(deliverAt)
                        + " is " + java.time.Duration.ofMillis(deliverAt - now) + " ahead; the maximum delay is "
                        + limits.maxDelay() + " (scheduleLimits.maxDelay); nothing was scheduled");
            }
            int count = ScheduledFrames.validate(tp, frame, maxBatchBytes, maxMessageBytes);
            byte[] copy = new byte[frame.remaining()];
            frame.duplicate().get(copy);
            if (bytes.addAndGet(copy.length) > limits.maxScheduledBytes()) {
                bytes.addAndGet(-copy.length);
                throw new GmqException(
                        ErrorCode.RESOURCE_EXHAUSTED,
                        "the schedule of delayed messages is full (" + limits.maxScheduledBytes()
                                + " bytes, scheduleLimits.maxScheduledBytes); nothing was scheduled: publish"
                                + " without a delay, or again once scheduled messages were delivered");
            }
            CompletableFuture<ScheduleResult> result = new CompletableFuture<>();
            pending.add(new Pending(tp, deliverAt, count, copy, result));
            if (drainQueued.compareAndSet(false, true)) {
                try {
                    thread.execute(this::drainInserts);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    failPending(new GmqException(ErrorCode.UNAVAILABLE, "storage is closed"));
                }
            }
            return result;
        } catch (GmqException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Records waiting in the schedule for {@code tp}. */
    public long scheduled(TopicPartition tp) {
        return records.getOrDefault(tp, 0L);
    }

    /**
     * Registers gauge {@code gmq.scheduled.messages} (records waiting in the schedule, all
     * partitions) and counter {@code gmq.scheduled.fired} (records appended from it since start);
     * the returned handle removes them.
     */
    public Runnable registerMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
        var waiting = io.micrometer.core.instrument.Gauge.builder(
                        "gmq.scheduled.messages",
                        this,
                        s -> s.records.values().stream()
                                .mapToLong(Long::longValue)
                                .sum())
                .description("Delayed messages waiting in storage's schedule")
                .register(registry);
        var firedCounter = io.micrometer.core.instrument.FunctionCounter.builder(
                        "gmq.scheduled.fired", this, DelayScheduler::firedRecords)
                .description("Delayed messages appended to their partitions from the schedule")
                .register(registry);
        return () -> {
            registry.remove(waiting);
            registry.remove(firedCounter);
        };
    }

    /** Records appended from the schedule since this scheduler started. */
    public long firedRecords() {
        return fired.get();
    }

    /** Forgets every scheduled message of {@code topic} (it was deleted): they are never delivered. */
    public void deleteTopic(String topic) {
        runOnThread(() -> {
            int rows = store.deleteTopic(topic);
            records.keySet().removeIf(tp -> tp.topic().equals(topic));
            bytes.set(store.totals().values().stream().mapToLong(t -> t[1]).sum());
            if (rows > 0) {
                LOG.info("dropped {} scheduled batch(es) of deleted topic {}", rows, topic);
            }
            return null;
        });
    }

    /** Fires what is due now on the calling thread's behalf; returns the records appended (tests, admin). */
    public int fireDue() {
        return runOnThread(this::round);
    }

    /** Starts a firing round if something is due by the clock (cheap: one volatile read). */
    public void poke() {
        if (!closed && nextDue <= clock.wallMillis() && roundQueued.compareAndSet(false, true)) {
            try {
                thread.execute(this::round);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                roundQueued.set(false); // closing
            }
        }
    }

    private <T> T runOnThread(java.util.concurrent.Callable<T> work) {
        try {
            return thread.submit(work).get();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof RuntimeException r
                    ? r
                    : new GmqException(ErrorCode.INTERNAL, e.toString(), e);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            throw new GmqException(ErrorCode.UNAVAILABLE, "storage is closed");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new GmqException(ErrorCode.UNAVAILABLE, "interrupted");
        }
    }

    // ---- the scheduler thread ---------------------------------------------------------------------

    /** Commits every pending insert in one transaction, then completes them. */
    private void drainInserts() {
        drainQueued.set(false);
        while (!pending.isEmpty()) {
            List<Pending> batch = new ArrayList<>();
            Pending p;
            while (batch.size() < INSERT_LIMIT && (p = pending.poll()) != null) {
                batch.add(p);
            }
            List<ScheduleStore.NewEntry> rows = new ArrayList<>(batch.size());
            for (Pending q : batch) {
                rows.add(new ScheduleStore.NewEntry(q.tp(), q.deliverAt(), q.records(), q.frame()));
            }
            long[] ids;
            try {
                ids = store.insert(rows);
            } catch (RuntimeException e) {
                for (Pending q : batch) {
                    bytes.addAndGet(-q.frame().length);
                    q.result().completeExceptionally(e);
                }
                continue;
            }
            long earliest = Long.MAX_VALUE;
            for (int i = 0; i < batch.size(); i++) {
                Pending q = batch.get(i);
                records.merge(q.tp(), (long) q.records(), Long::sum);
                earliest = Math.min(earliest, q.deliverAt());
            }
            arm(Math.min(nextDue, earliest));
            for (int i = 0; i < batch.size(); i++) {
                Pending q = batch.get(i);
                q.result().complete(new ScheduleResult(ids[i], q.records(), q.deliverAt()));
            }
        }
    }

    private void failPending(GmqException e) {
        Pending p;
        while ((p = pending.poll()) != null) {
            bytes.addAndGet(-p.frame().length);
            p.result().completeExceptionally(e);
        }
    }

    /** Sets the timer for {@code at} unless it is already set that early. */
    private void arm(long at) {
        nextDue = at;
        if (closed || at == Long.MAX_VALUE) {
            return;
        }
        if (armed != null && !armed.isDone() && armedAt <= at) {
            return;
        }
        if (armed != null) {
            armed.cancel(false);
        }
        armedAt = at;
        armed = thread.schedule(
                () -> {
                    armedAt = Long.MAX_VALUE;
                    if (roundQueued.compareAndSet(false, true)) {
                        round();
                    }
                },
                Math.max(0, at - clock.wallMillis()),
                TimeUnit.MILLISECONDS);
    }

    /** Settles interrupted firings, appends everything due, re-arms; returns the records appended. */
    private int round() {
        roundQueued.set(false);
        if (closed) {
            return 0;
        }
        int appended = 0;
        long retryAt = Long.MAX_VALUE;
        long started = System.nanoTime();
        try {
            boolean unsettled = settleFirings();
            long now = clock.wallMillis();
            while (!unsettled) {
                List<ScheduleStore.Entry> due = store.due(now, FIRE_LIMIT, FIRE_BYTES);
                if (due.isEmpty()) {
                    break;
                }
                int[] outcome = fire(due, now);
                appended += outcome[0];
                unsettled = outcome[1] > 0;
            }
            if (unsettled) {
                retryAt = clock.wallMillis() + RETRY_MILLIS;
            }
        } catch (RuntimeException e) {
            LOG.warn("firing scheduled messages failed; trying again in {} ms", RETRY_MILLIS, e);
            retryAt = clock.wallMillis() + RETRY_MILLIS;
        }
        if (!closed) {
            arm(Math.min(retryAt, store.earliestDue()));
        }
        fired.addAndGet(appended);
        if (appended >= LOG_ROUND_RECORDS) {
            LOG.info(
                    "appended {} scheduled records to their partitions in {} ms",
                    appended,
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }
        return appended;
    }

    /**
     * Appends {@code due} (earliest first): per partition and QoS one frame (or several, each
     * within maxBatchBytes). Returns {records appended, batches whose append failed}.
     */
    private int[] fire(List<ScheduleStore.Entry> due, long now) {
        Map<String, List<ScheduleStore.Entry>> groups = new LinkedHashMap<>();
        Map<TopicPartition, Long> ends = new HashMap<>();
        List<Long> gone = new ArrayList<>();
        BatchFrame cursor = new BatchFrame();
        for (ScheduleStore.Entry e : due) {
            long end = ends.computeIfAbsent(e.tp(), log::endOffset);
            if (end < 0) {
                gone.add(e.id());
                continue;
            }
            boolean qos1 = cursor.wrap(ByteBuffer.wrap(e.frame()).order(BatchFormat.ORDER), 0)
                    .atLeastOnce();
            groups.computeIfAbsent(e.tp() + "/" + qos1, k -> new ArrayList<>()).add(e);
        }
        if (!gone.isEmpty()) {
            LOG.warn("dropped {} scheduled batch(es) whose topic or partition no longer exists", gone.size());
            forget(due, gone);
        }
        Map<Long, Long> marks = new LinkedHashMap<>();
        List<List<ScheduleStore.Entry>> frames = new ArrayList<>();
        List<ByteBuffer> built = new ArrayList<>();
        for (List<ScheduleStore.Entry> group : groups.values()) {
            long end = ends.get(group.get(0).tp());
            BatchBuilder builder = null;
            List<ScheduleStore.Entry> members = null;
            for (ScheduleStore.Entry e : group) {
                marks.put(e.id(), end);
                int size = e.frame().length + e.records() * ScheduledFrames.idHeaderBytes(e.id());
                if (builder != null && builder.sizeInBytes() + size > maxBatchBytes) {
                    built.add(builder.build());
                    builder = null;
                }
                if (builder == null) {
                    builder = new BatchBuilder(Math.max(size, 4096));
                    boolean qos1 = cursor.wrap(ByteBuffer.wrap(e.frame()).order(BatchFormat.ORDER), 0)
                            .atLeastOnce();
                    builder.attributes(qos1 ? BatchFormat.ATTR_QOS_AT_LEAST_ONCE : 0);
                    members = new ArrayList<>();
                    frames.add(members);
                }
                ScheduledFrames.addRecords(builder, e, now);
                members.add(e);
            }
            built.add(builder.build());
        }
        if (marks.isEmpty()) {
            return new int[] {0, 0};
        }
        store.markFiring(marks); // step 1: from here a crash is settled by looking in the log
        List<CompletableFuture<AppendResult>> appends = new ArrayList<>(built.size());
        for (int i = 0; i < built.size(); i++) {
            appends.add(log.append(frames.get(i).get(0).tp(), built.get(i))); // step 2
        }
        List<Long> done = new ArrayList<>();
        int appended = 0;
        int failed = 0;
        for (int i = 0; i < appends.size(); i++) {
            try {
                appends.get(i).join();
                for (ScheduleStore.Entry e : frames.get(i)) {
                    done.add(e.id());
                    appended += e.records();
                }
            } catch (RuntimeException ex) {
                failed++;
                LOG.warn(
                        "appending {} scheduled batch(es) to {} failed; trying again in {} ms",
                        frames.get(i).size(),
                        frames.get(i).get(0).tp(),
                        RETRY_MILLIS,
                        ex);
            }
        }
        forget(due, done); // step 3
        return new int[] {appended, failed};
    }

    /**
     * Settles firings a crash (or a failed append) left open: a row whose id is in its partition
     * at or after its {@code fire_from} was appended and goes; the others wait again. Returns
     * whether some could not be settled now (their partition could not be read).
     */
    private boolean settleFirings() {
        List<ScheduleStore.Entry> firing = store.firing();
        if (firing.isEmpty()) {
            return false;
        }
        Map<TopicPartition, List<ScheduleStore.Entry>> byPartition = new LinkedHashMap<>();
        for (ScheduleStore.Entry e : firing) {
            byPartition.computeIfAbsent(e.tp(), k -> new ArrayList<>()).add(e);
        }
        List<Long> appended = new ArrayList<>();
        List<Long> again = new ArrayList<>();
        boolean unsettled = false;
        for (Map.Entry<TopicPartition, List<ScheduleStore.Entry>> p : byPartition.entrySet()) {
            long end = log.endOffset(p.getKey());
            if (end < 0) {
                p.getValue().forEach(e -> appended.add(e.id())); // topic gone: nothing to deliver
                continue;
            }
            long from = p.getValue().stream()
                    .mapToLong(ScheduleStore.Entry::fireFrom)
                    .min()
                    .orElse(end);
            Set<Long> inLog;
            try {
                inLog = ScheduledFrames.scheduleIdsBetween(log, p.getKey(), from, end);
            } catch (RuntimeException e) {
                LOG.warn("cannot read {} to settle interrupted firings; trying again later", p.getKey(), e);
                unsettled = true;
                continue;
            }
            for (ScheduleStore.Entry e : p.getValue()) {
                (inLog.contains(e.id()) ? appended : again).add(e.id());
            }
        }
        forget(firing, appended);
        store.clearFiring(again);
        if (!appended.isEmpty() || !again.isEmpty()) {
            LOG.info(
                    "settled interrupted firings: {} batch(es) were appended already, {} wait again",
                    appended.size(),
                    again.size());
        }
        return unsettled;
    }

    /** Deletes the rows {@code ids} (of {@code among}) and takes them out of the counts. */
    private void forget(List<ScheduleStore.Entry> among, List<Long> ids) {
        if (ids.isEmpty()) {
            return;
        }
        store.delete(ids);
        Set<Long> set = new HashSet<>(ids);
        for (ScheduleStore.Entry e : among) {
            if (set.contains(e.id())) {
                records.computeIfPresent(e.tp(), (tp, n) -> n - e.records() <= 0 ? null : n - e.records());
                bytes.addAndGet(-e.frame().length);
            }
        }
    }

    /** Stops the thread (a round in progress finishes); pending inserts fail with UNAVAILABLE. */
    @Override
    public void close() {
        closed = true;
        thread.shutdown();
        try {
            if (!thread.awaitTermination(10, TimeUnit.SECONDS)) {
                thread.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            thread.shutdownNow();
        }
        failPending(new GmqException(ErrorCode.UNAVAILABLE, "storage closed before the delayed message was scheduled"));
    }
}
