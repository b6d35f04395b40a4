package io.gmq.broker;

import io.gmq.OffsetSpec;
import java.time.Duration;

/**
 * Per-member delivery settings the broker needs.
 *
 * @param pullInterval   longest wait of an idle fetch (long poll)
 * @param startFrom      earliest or latest, for partitions the group has no offset for
 * @param sessionTimeout null for the engine default
 */
public record SubscriptionOptions(Duration pullInterval, OffsetSpec startFrom, Duration sessionTimeout) {
    public static SubscriptionOptions defaults() {
        return new SubscriptionOptions(Duration.ofMillis(100), OffsetSpec.earliest(), null);
    }
}
