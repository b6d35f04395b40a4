package io.gmq.broker;

import io.gmq.GroupType;
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
 * @param groupType       ordered (partitions owned by one member) or share (records acquired one by one)
 * @param ordering        partition order (first delivery) or key order across redelivery
 * @param retryBackoff    the group's backoff between redeliveries; null for each topic's setting
 * @param lockDuration    how long a share group's member holds an acquired record; null for
 *                        {@link #DEFAULT_LOCK_DURATION}; unused in ordered groups
 */
public record SubscriptionOptions(
        Duration pullInterval,
        OffsetSpec startFrom,
        Duration sessionTimeout,
        String groupInstanceId,
        GroupType groupType,
        Ordering ordering,
        RetryBackoff retryBackoff,
        Duration lockDuration) {
    /** A share group's acquisition lock when the member sets none. */
    public static final Duration DEFAULT_LOCK_DURATION = Duration.ofSeconds(30);

    public SubscriptionOptions {
        groupType = groupType == null ? GroupType.ORDERED : groupType;
        ordering = ordering == null ? Ordering.PARTITION : ordering;
    }

    /** A dynamic member of an ordered group: partition ordering, the topics' backoff. */
    public SubscriptionOptions(Duration pullInterval, OffsetSpec startFrom, Duration sessionTimeout) {
        this(pullInterval, startFrom, sessionTimeout, null, GroupType.ORDERED, Ordering.PARTITION, null, null);
    }

    public static SubscriptionOptions defaults() {
        return new SubscriptionOptions(Duration.ofMillis(100), OffsetSpec.earliest(), null);
    }

    /** The share lock duration in milliseconds, the default if unset. */
    public long lockMillis() {
        return (lockDuration == null ? DEFAULT_LOCK_DURATION : lockDuration).toMillis();
    }
}
