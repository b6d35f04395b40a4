package io.gmq;

import java.time.Duration;

/**
 * Limits of storage's schedule of delayed messages ({@link PublishOption#delay},
 * {@link PublishOption#deliverAt}).
 *
 * @param maxDelay longest a message may wait (default 365 days): a later delivery time is
 *     INVALID_ARGUMENT and nothing is kept
 * @param maxScheduledBytes bytes of frames the schedule may hold at once (default 1 GiB): a publish
 *     beyond is RESOURCE_EXHAUSTED and nothing is kept; the space comes back as messages fire
 */
public record ScheduleLimits(Duration maxDelay, long maxScheduledBytes) {
    public static final ScheduleLimits DEFAULT = new ScheduleLimits(Duration.ofDays(365), 1L << 30);

    public ScheduleLimits {
        if (maxDelay == null || maxDelay.isNegative() || maxDelay.isZero()) {
            throw GmqException.invalidArgument("maxDelay of the schedule must be positive, was " + maxDelay);
        }
        if (maxScheduledBytes < 1) {
            throw GmqException.invalidArgument(
                    "maxScheduledBytes of the schedule must be positive, was " + maxScheduledBytes);
        }
    }
}
