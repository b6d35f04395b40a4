package io.gmq.broker;

import io.gmq.OffsetSpec;
import io.gmq.Ordering;
import io.gmq.RetryBackoff;
import java.time.Duration;

/**
 * Per-member delivery settings the broker needs.
 *
 * @param pullInterval    longest wait of an idle fetch (long poll)
 * @param startFrom       earliest or latest, for partitions the group has no offset for
 * @param sessionTimeout  null for the engine default
 * @param groupInstanceId a static member's group instance id, or null for a dynamic member: a
 *                        static member does not leave the group when it closes (its session
 *                        runs out instead, or a join with the same instance id takes it over)
 * @param ordering        partition order (first delivery) or key order across redelivery
 * @param retryBackoff    the group's backoff between redeliveries; null for each topic's setting
 */
public record SubscriptionOptions(
        Duration pullInterval,
        OffsetSpec startFrom,
        Duration sessionTimeout,
        String groupInstanceId,
        Ordering ordering,
        RetryBackoff retryBackoff) {

    public SubscriptionOptions {
        ordering = ordering == null ? Ordering.PARTITION : ordering;
    }

    /** A dynamic member's settings: partition ordering, the topics' backoff. */
    public SubscriptionOptions(Duration pullInterval, OffsetSpec startFrom, Duration sessionTimeout) {
        this(pullInterval, startFrom, sessionTimeout, null, Ordering.PARTITION, null);
    }

    public static SubscriptionOptions defaults() {
        return new SubscriptionOptions(Duration.ofMillis(100), OffsetSpec.earliest(), null);
    }
}
