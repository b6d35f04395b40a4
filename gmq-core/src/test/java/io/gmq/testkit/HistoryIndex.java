package io.gmq.testkit;

import io.gmq.TopicPartition;
import io.gmq.testkit.History.Acked;
import io.gmq.testkit.History.Assignment;
import io.gmq.testkit.History.Attempt;
import io.gmq.testkit.History.Committed;
import io.gmq.testkit.History.Consumed;
import io.gmq.testkit.History.Event;
import io.gmq.testkit.History.Failed;
import io.gmq.testkit.History.Indeterminate;
import io.gmq.testkit.QueueChecker.Position;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The lookups {@link QueueChecker}'s rules need, built in one pass over the events. Lists keep
 * event (sequence) order.
 */
final class HistoryIndex {
    /** Every payload some producer tried to send (an ack or outcome implies an attempt). */
    final Set<String> attempted = new HashSet<>();

    final Map<String, List<Attempt>> attemptsByPayload = new HashMap<>();
    final Map<String, List<Acked>> ackedByPayload = new LinkedHashMap<>();
    final Set<String> indeterminate = new HashSet<>();
    final Map<String, Integer> failedCount = new HashMap<>();
    final Map<String, List<Consumed>> consumedByPayload = new LinkedHashMap<>();
    /** (consumer, partition) -> that consumer's deliveries from that partition. */
    final Map<List<Object>, List<Consumed>> consumedByConsumerPartition = new LinkedHashMap<>();
    /** partition -> offset -> the consumers that received the record there. */
    final Map<TopicPartition, TreeMap<Long, Set<String>>> consumersByOffset = new HashMap<>();
    /** Every payload seen at a position, whether acknowledged there or consumed from there. */
    final Map<Position, Set<String>> payloadsByPosition = new LinkedHashMap<>();
    /** partition -> offset -> the payloads acknowledged there (more than one is an inconsistency). */
    final Map<TopicPartition, TreeMap<Long, List<String>>> ackedPayloadsByOffset = new TreeMap<>();

    final Map<TopicPartition, TreeSet<Long>> assignmentSeqsByPartition = new HashMap<>();
    /** (group, partition) -> committed-offset observations. */
    final Map<List<Object>, List<Committed>> committedByGroupPartition = new LinkedHashMap<>();

    HistoryIndex(List<Event> events) {
        for (Event event : events) {
            add(event);
        }
    }

    private void add(Event event) {
        if (event instanceof Attempt a) {
            attempted.add(a.payloadId());
            attemptsByPayload
                    .computeIfAbsent(a.payloadId(), k -> new ArrayList<>())
                    .add(a);
        } else if (event instanceof Acked a) {
            attempted.add(a.payloadId());
            ackedByPayload
                    .computeIfAbsent(a.payloadId(), k -> new ArrayList<>())
                    .add(a);
            Position position = new Position(a.partition(), a.offset());
            payloadsByPosition
                    .computeIfAbsent(position, k -> new LinkedHashSet<>())
                    .add(a.payloadId());
            ackedPayloadsByOffset
                    .computeIfAbsent(a.partition(), k -> new TreeMap<>())
                    .computeIfAbsent(a.offset(), k -> new ArrayList<>())
                    .add(a.payloadId());
        } else if (event instanceof Indeterminate i) {
            attempted.add(i.payloadId());
            indeterminate.add(i.payloadId());
        } else if (event instanceof Failed f) {
            attempted.add(f.payloadId());
            failedCount.merge(f.payloadId(), 1, Integer::sum);
        } else if (event instanceof Consumed c) {
            consumedByPayload
                    .computeIfAbsent(c.payloadId(), k -> new ArrayList<>())
                    .add(c);
            consumedByConsumerPartition
                    .computeIfAbsent(List.of(c.consumerId(), c.partition()), k -> new ArrayList<>())
                    .add(c);
            Position position = QueueChecker.position(c);
            consumersByOffset
                    .computeIfAbsent(c.partition(), k -> new TreeMap<>())
                    .computeIfAbsent(c.offset(), k -> new HashSet<>())
                    .add(c.consumerId());
            payloadsByPosition
                    .computeIfAbsent(position, k -> new LinkedHashSet<>())
                    .add(c.payloadId());
        } else if (event instanceof Assignment a) {
            assignmentSeqsByPartition
                    .computeIfAbsent(a.partition(), k -> new TreeSet<>())
                    .add(a.seq());
        } else if (event instanceof Committed c) {
            committedByGroupPartition
                    .computeIfAbsent(List.of(c.group(), c.partition()), k -> new ArrayList<>())
                    .add(c);
        } else {
            throw new IllegalArgumentException("unknown event " + event);
        }
    }

    /**
     * True if a send of the payload may have written it without the producer knowing: an
     * indeterminate outcome, or an attempt with no recorded outcome at all (the producer died).
     */
    boolean uncertain(String payload) {
        if (indeterminate.contains(payload)) {
            return true;
        }
        int attempts = attemptsByPayload.getOrDefault(payload, List.of()).size();
        int outcomes = ackedByPayload.getOrDefault(payload, List.of()).size() + failedCount.getOrDefault(payload, 0);
        return attempts > outcomes;
    }

    /** True if every send of the payload definitely failed: nothing of it can be in the log. */
    boolean definitelyFailed(String payload) {
        return failedCount.containsKey(payload) && !ackedByPayload.containsKey(payload) && !uncertain(payload);
    }

    /** True if the partition was assigned to anyone strictly between the two sequence numbers. */
    boolean reassignedBetween(TopicPartition partition, long fromSeq, long toSeq) {
        TreeSet<Long> seqs = assignmentSeqsByPartition.get(partition);
        if (seqs == null) {
            return false;
        }
        Long next = seqs.higher(fromSeq);
        return next != null && next < toSeq;
    }

    /**
     * The sequence number of the producer's latest attempt of this payload before the ack: its place
     * in the producer's send order. An ack without a recorded attempt sorts at the ack itself.
     */
    long attemptSeqBefore(Acked ack) {
        long best = ack.seq();
        for (Attempt a : attemptsByPayload.getOrDefault(ack.payloadId(), List.of())) {
            if (a.producerId().equals(ack.producerId()) && a.seq() < ack.seq()) {
                best = a.seq();
            }
        }
        return best;
    }
}
