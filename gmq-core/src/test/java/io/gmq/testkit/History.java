package io.gmq.testkit;

import io.gmq.QoS;
import io.gmq.TopicPartition;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A thread-safe, append-only record of what a test's producers and consumers observed, checked
 * afterwards by {@link QueueChecker} (the Jepsen way: record everything, judge at the end).
 *
 * <p>Every event gets a sequence number in the order it was recorded; the checker treats that
 * order as real time. So record an event right after the observation it stands for (an ack when
 * the ack arrives, a consumption when the delivery is handed to the application), and record an
 * {@link #attempt} before the send starts.
 *
 * <p>Conventions the checker relies on:
 * <ul>
 *   <li>A payload id is unique per logical message (tests embed it in the payload). A producer
 *       that retries a message after an unknown outcome records a new {@code attempt} with the
 *       same id.</li>
 *   <li>A producer id is one sequential sender: the order of its {@code attempt} calls is its send
 *       order.</li>
 *   <li>All consumers recorded in one history belong to one consumer group (record one history per
 *       group, replaying the producer events into each, if a test has several groups).</li>
 * </ul>
 */
public final class History {

    /** One observation; {@code seq} is its position in recording order, starting at 0. */
    public sealed interface Event permits Attempt, Acked, Indeterminate, Failed, Consumed, Assignment, Committed {
        long seq();
    }

    /** A producer is about to send {@code payloadId}. */
    public record Attempt(long seq, String producerId, String payloadId) implements Event {}

    /** The send was acknowledged: the payload is durable at {@code partition}/{@code offset}. */
    public record Acked(long seq, String producerId, String payloadId, TopicPartition partition, long offset)
            implements Event {}

    /** The send timed out or failed in a way that leaves its effect unknown. */
    public record Indeterminate(long seq, String producerId, String payloadId) implements Event {}

    /** The send definitely did not write anything (e.g. rejected by validation). */
    public record Failed(long seq, String producerId, String payloadId) implements Event {}

    /** A consumer received the record at {@code partition}/{@code offset}. */
    public record Consumed(
            long seq,
            String consumerId,
            String payloadId,
            TopicPartition partition,
            long offset,
            int deliveryCount,
            QoS qos)
            implements Event {}

    /** {@code partition} was (re)assigned to {@code consumerId} at {@code generation}. */
    public record Assignment(long seq, String consumerId, TopicPartition partition, long generation) implements Event {}

    /** The committed offset of {@code group} on {@code partition} was observed to be {@code offset}. */
    public record Committed(long seq, String group, TopicPartition partition, long offset) implements Event {}

    private final List<Event> events = new ArrayList<>();

    public synchronized void attempt(String producerId, String payloadId) {
        events.add(new Attempt(nextSeq(), req(producerId), req(payloadId)));
    }

    public synchronized void acked(String producerId, String payloadId, TopicPartition partition, long offset) {
        events.add(new Acked(nextSeq(), req(producerId), req(payloadId), req(partition), offset));
    }

    public synchronized void indeterminate(String producerId, String payloadId) {
        events.add(new Indeterminate(nextSeq(), req(producerId), req(payloadId)));
    }

    public synchronized void failed(String producerId, String payloadId) {
        events.add(new Failed(nextSeq(), req(producerId), req(payloadId)));
    }

    public synchronized void consumed(
            String consumerId, String payloadId, TopicPartition partition, long offset, int deliveryCount, QoS qos) {
        if (deliveryCount < 1) {
            throw new IllegalArgumentException("deliveryCount starts at 1, got " + deliveryCount);
        }
        events.add(new Consumed(
                nextSeq(), req(consumerId), req(payloadId), req(partition), offset, deliveryCount, req(qos)));
    }

    public synchronized void assignment(String consumerId, TopicPartition partition, long generation) {
        events.add(new Assignment(nextSeq(), req(consumerId), req(partition), generation));
    }

    public synchronized void committed(String group, TopicPartition partition, long offset) {
        events.add(new Committed(nextSeq(), req(group), req(partition), offset));
    }

    /** A snapshot of the events recorded so far, in sequence order. */
    public synchronized List<Event> events() {
        return List.copyOf(events);
    }

    private long nextSeq() {
        return events.size();
    }

    private static <T> T req(T value) {
        return Objects.requireNonNull(value);
    }
}
