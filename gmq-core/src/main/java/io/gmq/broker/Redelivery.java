package io.gmq.broker;

import io.gmq.RetryBackoff;
import io.gmq.TimeSource;
import io.gmq.storage.FetchResult;
import io.gmq.storage.Storage;
import java.nio.ByteBuffer;

/**
 * Redelivery and dead letters of a {@link GroupSubscription}'s owned partitions: a record whose
 * ack timeout passed, or that was nacked and whose backoff passed, is read again and delivered
 * again; once it has been delivered {@code maxDeliveries} times it is published to
 * {@code <topic><deadLetterSuffix>} (default {@code .dlq}) with its origin in headers, and acked.
 *
 * <p>Threads. {@link #redeliverDue} runs under the subscription's monitor, from its tick on the
 * group executor or a nack on the caller's thread; the re-read completes on the delivery executor
 * and takes the monitor first. The dead-letter publish completes on the publish path's thread and
 * acks through {@link GroupSubscription#ack}, which takes the monitor. Time comes from the
 * engine's {@link TimeSource}: the tick passes its {@code now} in.
 */
final class Redelivery {
    private final GroupSubscription member;
    private final BrokerEngine engine;
    private final Storage storage;
    private final TimeSource time;
    private final DeliverySink sink;
    private final String group;
    private final long pullIntervalMillis;

    Redelivery(GroupSubscription member, BrokerEngine engine, DeliverySink sink, long pullIntervalMillis) {
        this.member = member;
        this.engine = engine;
        this.storage = engine.storage();
        this.time = engine.time();
        this.sink = sink;
        this.group = member.group();
        this.pullIntervalMillis = pullIntervalMillis;
    }

    /** The backoff between this member's redeliveries of {@code ps}: the group's, else the topic's. */
    private RetryBackoff backoff(OwnedPartition ps) {
        RetryBackoff group = member.options().retryBackoff();
        return group != null ? group : engine.settings(ps.tp.topic()).retryBackoff();
    }

    /**
     * A nack of {@code offset}: it waits {@code delayNanos} (negative: the backoff of its delivery
     * count), or, under key ordering, behind its key's head if there is an earlier one. Lock held.
     */
    void nack(OwnedPartition ps, long offset, long delayNanos, long now) {
        if (ps.window.state(offset) != DeliveryWindow.IN_FLIGHT) {
            return; // not out with the consumer: acknowledged, waiting, held, or not ours
        }
        if (ps.keyOrder != null && !ps.keyOrder.failed(ps.window, offset)) {
            return; // held behind an earlier failed record of its key
        }
        long wait = delayNanos >= 0 ? delayNanos : backoff(ps).delayNanos(ps.window.deliveryCount(offset));
        if (ps.window.nack(offset, now + wait) && wait == 0) {
            redeliverDue(ps, now);
        }
    }

    /**
     * Under key ordering, before the offsets {@code [from, to)} are acknowledged: passes each
     * blocked key whose head is among them on to its next held record.
     *
     * @return true if a record was released (the caller runs {@link #redeliverDue} after the acks)
     */
    boolean beforeAcks(OwnedPartition ps, long from, long to) {
        if (ps.keyOrder.isEmpty()) {
            return false;
        }
        long now = time.nanoTime();
        boolean released = false;
        long lo = Math.max(from, ps.window.base());
        long hi = Math.min(to, ps.window.next());
        for (long o = lo; o < hi; o++) {
            if (ps.window.awaitingAck(o) && ps.keyOrder.acked(ps.window, o, now) >= 0) {
                released = true;
            }
        }
        return released;
    }

    /** Reads again, and delivers or dead-letters, every record of the partition due at {@code now}. Lock held. */
    void redeliverDue(OwnedPartition ps, long now) {
        if (ps.window.inFlight() == 0) {
            return;
        }
        BrokerEngine.TopicSettings settings = engine.settings(ps.tp.topic());
        int maxDeliveries = settings.maxDeliveries();
        long ackTimeoutNanos = settings.ackTimeoutNanos();
        ps.window.forEachDue(now, offset -> {
            if (ps.window.state(offset) == DeliveryWindow.IN_FLIGHT) {
                // Its ack timeout passed: a failed delivery, like a nack.
                if (ps.keyOrder != null && !ps.keyOrder.failed(ps.window, offset)) {
                    return; // held behind an earlier failed record of its key
                }
                long wait = backoff(ps).delayNanos(ps.window.deliveryCount(offset));
                if (wait > 0 && ps.window.nack(offset, now + wait)) {
                    return; // read again when the backoff has passed
                }
            }
            // While the record is being read again, keep it out of the due set.
            ps.window.postpone(offset, now + ackTimeoutNanos);
            boolean deadLetter = maxDeliveries > 0 && ps.window.deliveryCount(offset) >= maxDeliveries;
            storage.fetch(ps.tp, offset, 1, 0)
                    .whenCompleteAsync(
                            (r, e) -> onRedeliveryRead(ps, offset, deadLetter, r, e), engine.deliveryExecutor());
        });
    }

    private void onRedeliveryRead(OwnedPartition ps, long offset, boolean deadLetter, FetchResult r, Throwable e) {
        synchronized (member) {
            if (member.isClosed() || !ps.active || !ps.window.redeliverable(offset)) {
                return; // acknowledged, or held behind its key, while it was read
            }
            if (e != null || r.isEmpty()) {
                ps.window.postpone(offset, time.nanoTime() + pullIntervalMillis * 1_000_000L);
                return;
            }
            if (deadLetter) {
                sendToDeadLetter(ps, offset, r.records());
                return;
            }
            if (sink.capacity() <= 0) {
                ps.window.postpone(offset, time.nanoTime() + GroupSubscription.TICK_MILLIS * 1_000_000L);
                return;
            }
            ps.window.redelivered(
                    offset, time.nanoTime() + engine.settings(ps.tp.topic()).ackTimeoutNanos());
            ps.counters.redeliveries.increment();
            int count = ps.window.deliveryCount(offset);
            sink.deliver(new Delivery(
                    ps.tp,
                    r.records(),
                    offset,
                    offset + 1,
                    count,
                    member.generation(),
                    Delivery.isFinalAttempt(
                            count, engine.settings(ps.tp.topic()).maxDeliveries())));
        }
    }

    /** Publishes the record to the dead-letter topic ({@link DeadLetters}), then acks it. */
    private void sendToDeadLetter(OwnedPartition ps, long offset, ByteBuffer frames) {
        DeadLetters.publish(engine, group, ps.tp, offset, ps.window.deliveryCount(offset), frames)
                .whenComplete((res, err) -> {
                    if (err == null && res != null) {
                        ps.counters.deadLettered.increment();
                        member.ack(ps.tp, offset);
                    }
                });
    }
}
