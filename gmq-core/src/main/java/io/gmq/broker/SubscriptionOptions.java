package io.gmq.broker;

import io.gmq.OffsetSpec;
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
 */
public record SubscriptionOptions(
        Duration pullInterval, OffsetSpec startFrom, Duration sessionTimeout, String groupInstanceId) {
    /** A dynamic member's settings. */
    public SubscriptionOptions(Duration pullInterval, OffsetSpec startFrom, Duration sessionTimeout) {
        this(pullInterval, startFrom, sessionTimeout, null);
    }

    public static SubscriptionOptions defaults() {
        return new SubscriptionOptions(Duration.ofMillis(100), OffsetSpec.earliest(), null);
    }
}
