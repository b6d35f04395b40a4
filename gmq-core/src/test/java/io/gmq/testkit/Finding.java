package io.gmq.testkit;

import java.util.List;

/**
 * One violation found by {@link QueueChecker}.
 *
 * @param criterion which rule was broken
 * @param message what happened, with partitions, offsets and payload ids
 * @param payloadIds the payloads involved (may be empty, e.g. for a commit regression)
 */
public record Finding(Criterion criterion, String message, List<String> payloadIds) {

    public Finding {
        payloadIds = List.copyOf(payloadIds);
    }

    /** The rules, named after the vocabulary of Jepsen's queue checkers. */
    public enum Criterion {
        /** An acknowledged message was never consumed. */
        LOST,
        /** A consumed message was never sent, or every send of it definitely failed. */
        UNEXPECTED,
        /** A message was delivered again where the guarantees do not allow it. */
        DUPLICATED,
        /** One position held two payloads, or one acknowledged payload appeared at two positions. */
        INCONSISTENT_OFFSET,
        /** A producer's acknowledged offsets in one partition did not increase with its send order. */
        PRODUCER_ORDER,
        /** A consumer stepped back or skipped offsets in one partition without a reason. */
        CONSUMER_ORDER,
        /** A group's committed offset went back past an acknowledged message. */
        COMMIT_REGRESSION
    }
}
