package io.gmq.testkit;

import io.gmq.QoS;
import io.gmq.TopicPartition;
import io.gmq.testkit.Finding.Criterion;
import io.gmq.testkit.History.Acked;
import io.gmq.testkit.History.Committed;
import io.gmq.testkit.History.Consumed;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Judges a {@link History} of sends and deliveries against the guarantees GMQ makes, in the
 * vocabulary of Jepsen's queue checkers (lost, unexpected, duplicated) plus the ordering rules of a
 * partitioned log. Every rule is a separate method so a finding points at one rule.
 *
 * <p>Rules:
 * <ol>
 *   <li><b>lost</b>: acknowledged minus consumed is empty. Lost offsets are reported per partition
 *       as prefix (below every consumed acknowledged offset), middle, or suffix (above all of them).
 *   <li><b>unexpected</b>: consumed minus attempted is empty, and nothing whose every send
 *       definitely failed is consumed.
 *   <li><b>duplicated</b>: the same record ({@code partition, offset}) may be delivered again only
 *       at QoS 1 and only as a redelivery ({@code deliveryCount > 1}) or after a reassignment of the
 *       partition; never at QoS 0. One payload at several positions is allowed only when a send of
 *       it had an unknown outcome (the producer retried).
 *   <li><b>inconsistent offsets</b>: one position holds one payload forever; an acknowledged payload
 *       has one position (unless a send of it was indeterminate, see above).
 *   <li><b>producer order</b>: per producer and partition, acknowledged offsets increase with send
 *       order (the order of the attempts that were acknowledged).
 *   <li><b>consumer order</b>: per consumer and partition, a first delivery is never below an offset
 *       the consumer already saw, and never skips offsets, unless the partition was reassigned in
 *       between; skips over records other consumers of the group consumed, or over records nobody
 *       consumed (retention), are allowed by {@link Options}.
 *   <li><b>commit regression</b>: a group's observed committed offset never moves back past an
 *       acknowledged message.
 * </ol>
 *
 * <p><b>Stored-once mode</b> ({@link Options#withStoredOnce}) judges a history of idempotent QoS 1
 * producers that never publish a payload twice themselves: however often the client resent a
 * batch (a lost session, a broker kill, a storage restart), each payload is in the log at one
 * position. A payload consumed at two positions is then a duplicate, also when a send of it was
 * indeterminate or resent; redeliveries of the one position stay allowed as in the default mode.
 *
 * <p><b>At-most-once mode</b> ({@link Options#qos0()}) judges a history whose messages are
 * all QoS 0. Losing messages is then allowed, so lost is a figure ({@link CheckResult#lost()}, every
 * sent payload never consumed, and {@link CheckResult#lostAcknowledged()}), not a finding. In
 * exchange the repeat rules get strict, because a QoS 0 send is never retried and a QoS 0 delivery
 * counts as consumed the moment it is sent:
 * <ul>
 *   <li>a payload consumed twice is a duplicate, whatever the reason: same or another position,
 *       after an indeterminate send, a redelivery count or a reassignment;</li>
 *   <li>a payload sits at one position even if a send of it was indeterminate;</li>
 *   <li>a consumer never steps back in a partition, not even across a reassignment (the group's
 *       position already passed everything delivered); skips are allowed (lost deliveries).</li>
 * </ul>
 *
 * <p>Typical use in a fault test:
 *
 * <pre>{@code
 * History history = new History();
 * // producer thread:  history.attempt("p1", id); ... history.acked("p1", id, tp, offset)
 * //                   or history.indeterminate("p1", id) on a timeout
 * // consumer thread:  history.consumed("c1", idFromPayload, tp, offset, deliveryCount, QoS.AT_LEAST_ONCE)
 * QueueChecker.check(history).assertValid();   // AssertionError carrying report() otherwise
 * }</pre>
 */
public final class QueueChecker {

    /**
     * What the checker tolerates.
     *
     * @param checkLost report acknowledged messages never consumed (off for tests that stop early)
     * @param allowSkipOverOthersConsumption a consumer may skip offsets another consumer of the group
     *     consumed (a handover the test did not record as an assignment)
     * @param allowSkipOverUnconsumed a consumer may skip offsets nobody consumed (retention deleted them)
     * @param atMostOnce judge the history as all QoS 0: lost is a figure, any repeat is a duplicate
     *     (see the class comment)
     * @param storedOnce every payload is in the log at one position, resends included (see the class comment)
     */
    public record Options(
            boolean checkLost,
            boolean allowSkipOverOthersConsumption,
            boolean allowSkipOverUnconsumed,
            boolean atMostOnce,
            boolean storedOnce) {

        public Options(
                boolean checkLost,
                boolean allowSkipOverOthersConsumption,
                boolean allowSkipOverUnconsumed,
                boolean atMostOnce) {
            this(checkLost, allowSkipOverOthersConsumption, allowSkipOverUnconsumed, atMostOnce, false);
        }

        /** The at-least-once options of the first checker version (kept for existing callers). */
        public Options(boolean checkLost, boolean allowSkipOverOthersConsumption, boolean allowSkipOverUnconsumed) {
            this(checkLost, allowSkipOverOthersConsumption, allowSkipOverUnconsumed, false);
        }

        /** Strict defaults: lost messages count, skips only over records other group members consumed. */
        public static Options defaults() {
            return new Options(true, true, false, false);
        }

        /**
         * QoS 0 (at most once): losses are counted, not findings, and so are the skips they leave in
         * a consumer's offsets; duplicates and backward steps of any kind are findings.
         */
        public static Options qos0() {
            return new Options(false, true, true, true);
        }

        public Options withCheckLost(boolean value) {
            return new Options(value, allowSkipOverOthersConsumption, allowSkipOverUnconsumed, atMostOnce, storedOnce);
        }

        public Options withAllowSkipOverOthersConsumption(boolean value) {
            return new Options(checkLost, value, allowSkipOverUnconsumed, atMostOnce, storedOnce);
        }

        public Options withAllowSkipOverUnconsumed(boolean value) {
            return new Options(checkLost, allowSkipOverOthersConsumption, value, atMostOnce, storedOnce);
        }

        /** Exactly once into the log: a payload at two positions is a duplicate, resends included. */
        public Options withStoredOnce(boolean value) {
            return new Options(checkLost, allowSkipOverOthersConsumption, allowSkipOverUnconsumed, atMostOnce, value);
        }
    }

    /** A record's place in the log. */
    record Position(TopicPartition partition, long offset) {
        @Override
        public String toString() {
            return partition + "@" + offset;
        }
    }

    /** How many offsets or payloads a finding lists before summarising the rest as a count. */
    private static final int EXAMPLES = 10;

    private final Options options;
    private final HistoryIndex index;
    private final List<Finding> findings = new ArrayList<>();

    private QueueChecker(History history, Options options) {
        this.options = options;
        this.index = new HistoryIndex(history.events());
    }

    public static CheckResult check(History history) {
        return check(history, Options.defaults());
    }

    public static CheckResult check(History history, Options options) {
        return new QueueChecker(history, options).run();
    }

    private CheckResult run() {
        Set<String> lost = options.atMostOnce() ? neverConsumed() : lost();
        Set<String> unexpected = unexpected();
        Set<String> duplicated = duplicates();
        inconsistentOffsets();
        producerOrder();
        consumerOrder();
        commitRegressions();
        long indeterminate = index.indeterminate.stream()
                .filter(p -> !index.ackedByPayload.containsKey(p))
                .count();
        return new CheckResult(
                index.attempted.size(),
                index.ackedByPayload.size(),
                (int) indeterminate,
                index.consumedByPayload.size(),
                lost,
                (int) lost.stream().filter(index.ackedByPayload::containsKey).count(),
                unexpected,
                duplicated,
                findings);
    }

    private Set<String> lost() {
        Set<String> lost = new HashSet<>();
        for (String payload : index.ackedByPayload.keySet()) {
            if (!index.consumedByPayload.containsKey(payload)) {
                lost.add(payload);
            }
        }
        if (!options.checkLost() || lost.isEmpty()) {
            return options.checkLost() ? lost : Set.of();
        }
        // Classify per partition by where the lost offsets sit relative to the consumed ones:
        // a lost prefix hints at retention or a wrong start offset, a suffix at unflushed data
        // or a consumer that stopped early, a middle at a real hole in the log.
        for (Map.Entry<TopicPartition, TreeMap<Long, List<String>>> e : index.ackedPayloadsByOffset.entrySet()) {
            TreeMap<Long, List<String>> lostHere = new TreeMap<>();
            TreeSet<Long> consumedHere = new TreeSet<>();
            e.getValue().forEach((offset, payloads) -> {
                for (String payload : payloads) {
                    if (lost.contains(payload)) {
                        lostHere.computeIfAbsent(offset, k -> new ArrayList<>()).add(payload);
                    } else {
                        consumedHere.add(offset);
                    }
                }
            });
            if (lostHere.isEmpty()) {
                continue;
            }
            if (consumedHere.isEmpty()) {
                addLost(e.getKey(), "all acknowledged messages", lostHere);
                continue;
            }
            addLost(e.getKey(), "prefix", lostHere.headMap(consumedHere.first(), false));
            addLost(e.getKey(), "middle", lostHere.subMap(consumedHere.first(), true, consumedHere.last(), true));
            addLost(e.getKey(), "suffix", lostHere.tailMap(consumedHere.last(), false));
        }
        return lost;
    }

    /**
     * At most once: every payload that may have been written (not definitely failed) and was never
     * consumed. Allowed, so it is a figure and not a finding.
     */
    private Set<String> neverConsumed() {
        Set<String> lost = new HashSet<>();
        for (String payload : index.attempted) {
            if (!index.consumedByPayload.containsKey(payload) && !index.definitelyFailed(payload)) {
                lost.add(payload);
            }
        }
        return lost;
    }

    private void addLost(TopicPartition partition, String where, Map<Long, List<String>> lostOffsets) {
        if (lostOffsets.isEmpty()) {
            return;
        }
        List<String> payloads =
                lostOffsets.values().stream().flatMap(List::stream).toList();
        findings.add(new Finding(
                Criterion.LOST,
                partition + ": lost " + where + ", " + payloads.size()
                        + " acknowledged message(s) never consumed at offsets "
                        + abbreviate(lostOffsets.keySet()) + " (payloads " + abbreviate(payloads) + ")",
                payloads));
    }

    private Set<String> unexpected() {
        Set<String> unexpected = new HashSet<>();
        for (Map.Entry<String, List<Consumed>> e : index.consumedByPayload.entrySet()) {
            String payload = e.getKey();
            Consumed first = e.getValue().get(0);
            if (!index.attempted.contains(payload)) {
                unexpected.add(payload);
                findings.add(new Finding(
                        Criterion.UNEXPECTED,
                        "payload " + payload + " consumed by " + first.consumerId() + " at " + position(first)
                                + " was never sent",
                        List.of(payload)));
            } else if (index.definitelyFailed(payload)) {
                unexpected.add(payload);
                findings.add(new Finding(
                        Criterion.UNEXPECTED,
                        "payload " + payload + " consumed by " + first.consumerId() + " at " + position(first)
                                + " although every send of it definitely failed",
                        List.of(payload)));
            }
        }
        return unexpected;
    }

    private Set<String> duplicates() {
        Set<String> duplicated = new HashSet<>();
        for (Map.Entry<String, List<Consumed>> e : index.consumedByPayload.entrySet()) {
            List<Consumed> deliveries = e.getValue();
            if (deliveries.size() < 2) {
                continue;
            }
            String payload = e.getKey();
            duplicated.add(payload);
            if (options.storedOnce()) {
                storedAtOnePosition(payload, deliveries);
            }
            if (options.atMostOnce()) {
                atMostOnceRepeat(payload, deliveries);
                continue;
            }
            Map<Position, Consumed> lastAtPosition = new LinkedHashMap<>();
            for (Consumed c : deliveries) {
                Consumed previous = lastAtPosition.put(position(c), c);
                if (previous != null) {
                    checkRedelivery(payload, previous, c);
                }
            }
        }
        return duplicated;
    }

    /** Stored once: the deliveries of a payload all come from one position of the log. */
    private void storedAtOnePosition(String payload, List<Consumed> deliveries) {
        Set<Position> positions = deliveries.stream()
                .map(QueueChecker::position)
                .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
        if (positions.size() > 1) {
            findings.add(new Finding(
                    Criterion.DUPLICATED,
                    "payload " + payload + " is stored at " + positions.size() + " positions " + positions
                            + "; an idempotent producer's resends must be stored once",
                    List.of(payload)));
        }
    }

    /** At most once: a second delivery of a payload is a duplicate, whatever explains it at QoS 1. */
    private void atMostOnceRepeat(String payload, List<Consumed> deliveries) {
        String where = deliveries.stream()
                .map(c -> c.consumerId() + " at " + position(c) + " (deliveryCount " + c.deliveryCount() + ")")
                .collect(Collectors.joining(", "));
        findings.add(new Finding(
                Criterion.DUPLICATED,
                "payload " + payload + " consumed " + deliveries.size() + " times under at most once: " + where,
                List.of(payload)));
    }

    private void checkRedelivery(String payload, Consumed previous, Consumed again) {
        if (again.qos() == QoS.AT_MOST_ONCE) {
            findings.add(new Finding(
                    Criterion.DUPLICATED,
                    "QoS 0 record " + position(again) + " (payload " + payload + ") delivered again to "
                            + again.consumerId() + " (first to " + previous.consumerId() + "); QoS 0 is at most once",
                    List.of(payload)));
        } else if (again.deliveryCount() <= 1
                && !index.reassignedBetween(again.partition(), previous.seq(), again.seq())) {
            findings.add(new Finding(
                    Criterion.DUPLICATED,
                    "QoS 1 record " + position(again) + " (payload " + payload + ") delivered again to "
                            + again.consumerId() + " with deliveryCount 1 and no reassignment since "
                            + previous.consumerId() + " received it",
                    List.of(payload)));
        }
    }

    private void inconsistentOffsets() {
        index.payloadsByPosition.forEach((position, payloads) -> {
            if (payloads.size() > 1) {
                findings.add(new Finding(
                        Criterion.INCONSISTENT_OFFSET,
                        position + " holds several payloads: " + payloads,
                        List.copyOf(payloads)));
            }
        });
        index.ackedByPayload.forEach((payload, acks) -> {
            Set<Position> ackedAt = acks.stream()
                    .map(a -> new Position(a.partition(), a.offset()))
                    .collect(Collectors.toCollection(java.util.LinkedHashSet::new));
            if (ackedAt.size() > 1) {
                findings.add(new Finding(
                        Criterion.INCONSISTENT_OFFSET,
                        "payload " + payload + " acknowledged at several positions " + ackedAt,
                        List.of(payload)));
            }
            if (index.uncertain(payload) && !options.atMostOnce()) {
                return; // a retried QoS 1 send may legitimately have landed elsewhere too
            }
            for (Consumed c : index.consumedByPayload.getOrDefault(payload, List.of())) {
                if (!ackedAt.contains(position(c))) {
                    findings.add(new Finding(
                            Criterion.INCONSISTENT_OFFSET,
                            "payload " + payload + " acknowledged at " + ackedAt + " but consumed by " + c.consumerId()
                                    + " at " + position(c),
                            List.of(payload)));
                }
            }
        });
    }

    private void producerOrder() {
        // (producer, partition) -> acknowledged sends ordered by the attempt that was acknowledged.
        Map<List<Object>, TreeMap<Long, Acked>> sends = new LinkedHashMap<>();
        for (List<Acked> acks : index.ackedByPayload.values()) {
            for (Acked a : acks) {
                long attemptSeq = index.attemptSeqBefore(a);
                sends.computeIfAbsent(List.of(a.producerId(), a.partition()), k -> new TreeMap<>())
                        .put(attemptSeq, a);
            }
        }
        sends.forEach((key, bySendOrder) -> {
            Acked previous = null;
            for (Acked a : bySendOrder.values()) {
                if (previous != null && a.offset() <= previous.offset()) {
                    findings.add(new Finding(
                            Criterion.PRODUCER_ORDER,
                            "producer " + a.producerId() + " on " + a.partition() + ": " + a.payloadId()
                                    + " was sent after " + previous.payloadId() + " but acknowledged at offset "
                                    + a.offset() + " <= " + previous.offset(),
                            List.of(previous.payloadId(), a.payloadId())));
                }
                previous = a;
            }
        });
    }

    private void consumerOrder() {
        index.consumedByConsumerPartition.forEach((key, deliveries) -> {
            Consumed previous = null;
            long highest = -1;
            for (Consumed c : deliveries) {
                boolean reassigned =
                        previous != null && index.reassignedBetween(c.partition(), previous.seq(), c.seq());
                if (previous == null || (reassigned && !options.atMostOnce())) {
                    // A (re)assignment restarts the consumer from wherever the group left off. At most
                    // once, that place is past everything delivered, so the consumer still never steps back.
                    previous = c;
                    highest = c.offset();
                    continue;
                }
                if (c.offset() <= highest) {
                    if (options.atMostOnce()) {
                        findings.add(new Finding(
                                Criterion.CONSUMER_ORDER,
                                "consumer " + c.consumerId() + " on " + c.partition() + " stepped back from offset "
                                        + highest + " to " + c.offset() + " under at most once"
                                        + (reassigned ? " (across a reassignment)" : ""),
                                List.of(c.payloadId())));
                    } else if (c.deliveryCount() <= 1) {
                        findings.add(new Finding(
                                Criterion.CONSUMER_ORDER,
                                "consumer " + c.consumerId() + " on " + c.partition() + " stepped back from offset "
                                        + highest + " to " + c.offset() + " (first delivery, no reassignment)",
                                List.of(c.payloadId())));
                    }
                } else if (c.offset() > highest + 1 && !reassigned) {
                    checkSkip(c, highest);
                }
                highest = Math.max(highest, c.offset());
                previous = c;
            }
        });
    }

    /**
     * A skip from {@code highest} to {@code c.offset()} is explained offset by offset: by another
     * member having consumed that record, or by retention if allowed. Gaps can be huge (a consumer
     * that starts at the end), so only the consumed offsets inside the gap are visited.
     */
    private void checkSkip(Consumed c, long highest) {
        if (options.allowSkipOverUnconsumed() && options.allowSkipOverOthersConsumption()) {
            return;
        }
        long gap = c.offset() - highest - 1;
        TreeMap<Long, Set<String>> consumers = index.consumersByOffset.get(c.partition());
        TreeSet<Long> byOthers = new TreeSet<>();
        consumers.subMap(highest, false, c.offset(), false).forEach((offset, who) -> {
            if (who.stream().anyMatch(other -> !other.equals(c.consumerId()))) {
                byOthers.add(offset);
            }
        });
        long unexplained = 0;
        List<Long> examples = new ArrayList<>();
        if (!options.allowSkipOverUnconsumed()) {
            unexplained += gap - byOthers.size();
            for (long offset = highest + 1; offset < c.offset() && examples.size() < EXAMPLES; offset++) {
                if (!byOthers.contains(offset)) {
                    examples.add(offset);
                }
            }
        }
        if (!options.allowSkipOverOthersConsumption()) {
            unexplained += byOthers.size();
            byOthers.stream().limit(EXAMPLES).forEach(examples::add);
        }
        if (unexplained > 0) {
            examples.sort(null);
            findings.add(new Finding(
                    Criterion.CONSUMER_ORDER,
                    "consumer " + c.consumerId() + " on " + c.partition() + " skipped from offset " + highest + " to "
                            + c.offset() + " without a reassignment; " + unexplained
                            + " skipped offset(s) unexplained, e.g. "
                            + abbreviate(examples),
                    List.of(c.payloadId())));
        }
    }

    private void commitRegressions() {
        index.committedByGroupPartition.forEach((key, observations) -> {
            long highest = Long.MIN_VALUE;
            for (Committed c : observations) {
                if (c.offset() < highest) {
                    TreeMap<Long, List<String>> acked =
                            index.ackedPayloadsByOffset.getOrDefault(c.partition(), new TreeMap<>());
                    Map<Long, List<String>> passed = acked.subMap(c.offset(), true, highest, false);
                    if (!passed.isEmpty()) {
                        findings.add(new Finding(
                                Criterion.COMMIT_REGRESSION,
                                "group " + c.group() + " on " + c.partition() + ": committed offset went back from "
                                        + highest + " to " + c.offset() + " past acknowledged offsets "
                                        + abbreviate(passed.keySet()),
                                passed.values().stream().flatMap(List::stream).toList()));
                    }
                }
                highest = Math.max(highest, c.offset());
            }
        });
    }

    static Position position(Consumed c) {
        return new Position(c.partition(), c.offset());
    }

    /** Ten items at most, so a report of a million lost messages stays readable. */
    private static String abbreviate(java.util.Collection<?> items) {
        int limit = EXAMPLES;
        String shown = items.stream().limit(limit).map(String::valueOf).collect(Collectors.joining(", ", "[", ""));
        return shown + (items.size() > limit ? ", ... " + (items.size() - limit) + " more]" : "]");
    }
}
