package io.gmq.broker;

import io.gmq.GroupType;
import io.gmq.OffsetSpec;
import io.gmq.Ordering;
import java.time.Duration;

/**
 * Per-member delivery settings the broker needs.
 *
 * @param pullInterval   longest wait of an idle fetch (long poll)
 * @param startFrom      earliest or latest, for partitions the group has no offset for
 * @param sessionTimeout null for the engine default
 * @param groupType      ordered (partitions owned by one member) or share (records acquired one by one)
 * @param ordering       per partition, or per key
 * @param lockDuration   how long a share group's member holds an acquired record; null for
 *                       {@link #DEFAULT_LOCK_DURATION}; unused in ordered groups
 */
public record SubscriptionOptions(
        Duration pullInterval,
        OffsetSpec startFrom,
        Duration sessionTimeout,
        GroupType groupType,
        Ordering ordering,
        Duration lockDuration) {
    /** A share group's acquisition lock when the member sets none. */
    public static final Duration DEFAULT_LOCK_DURATION = Duration.ofSeconds(30);

    public SubscriptionOptions {
        groupType = groupType == null ? GroupType.ORDERED : groupType;
        ordering = ordering == null ? Ordering.PARTITION : ordering;
    }

    /** An ordered group member's settings. */
    public SubscriptionOptions(Duration pullInterval, OffsetSpec startFrom, Duration sessionTimeout) {
        this(pullInterval, startFrom, sessionTimeout, GroupType.ORDERED, Ordering.PARTITION, null);
    }

    public static SubscriptionOptions defaults() {
        return new SubscriptionOptions(Duration.ofMillis(100), OffsetSpec.earliest(), null);
    }

    /** The share lock duration in milliseconds, the default if unset. */
    public long lockMillis() {
        return (lockDuration == null ? DEFAULT_LOCK_DURATION : lockDuration).toMillis();
    }
}
