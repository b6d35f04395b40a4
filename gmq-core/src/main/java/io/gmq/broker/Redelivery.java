package io.gmq.broker;

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

    /** Reads again, and delivers or dead-letters, every record of the partition due at {@code now}. Lock held. */
    void redeliverDue(OwnedPartition ps, long now) {
        if (ps.window.inFlight() == 0) {
            return;
        }
        BrokerEngine.TopicSettings settings = engine.settings(ps.tp.topic());
        int maxDeliveries = settings.maxDeliveries();
        long ackTimeoutNanos = settings.ackTimeoutNanos();
        ps.window.forEachDue(now, offset -> {
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
            if (member.isClosed() || !ps.active || !ps.window.contains(offset)) {
                return;
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
            sink.deliver(new Delivery(
                    ps.tp, r.records(), offset, offset + 1, ps.window.deliveryCount(offset), member.generation()));
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
