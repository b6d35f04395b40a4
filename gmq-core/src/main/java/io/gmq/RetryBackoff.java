package io.gmq;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long a negatively acknowledged or timed-out message waits before it is delivered again:
 * exponential backoff with a cap and jitter. Attempt {@code n} (the delivery that failed,
 * 1 for the first) waits {@code d(n) = min(max, initial * 2^(n-1))}, shortened by a random part
 * of at most {@code jitter * d(n)}: the wait lies in {@code [d(n) * (1 - jitter), d(n)]}, so it
 * never passes {@code max}. An explicit delay given with a nack ({@link ConsumeMessage#nack(Duration)})
 * wins over the policy.
 *
 * <p>Set per topic ({@link TopicConfig#NACK_BACKOFF}, {@link TopicConfig#NACK_BACKOFF_MAX},
 * {@link TopicConfig#NACK_BACKOFF_JITTER}) or per consumer group
 * ({@link ConsumerConfig.Builder#retryBackoff}, which wins over the topic's).
 *
 * @param initial the wait after the first failed delivery, 0 or more
 * @param max the longest wait, at least {@code initial}
 * @param jitter the part of each wait drawn at random, from 0 (none) to 1
 */
public record RetryBackoff(Duration initial, Duration max, double jitter) {
    /** No wait: a failed message is delivered again at once. */
    public static final RetryBackoff NONE = new RetryBackoff(Duration.ZERO, Duration.ZERO, 0);

    public RetryBackoff {
        Objects.requireNonNull(initial, "initial");
        Objects.requireNonNull(max, "max");
        if (initial.isNegative()) {
            throw GmqException.invalidArgument("retry backoff initial must not be negative, not " + initial);
        }
        if (max.compareTo(initial) < 0) {
            throw GmqException.invalidArgument(
                    "retry backoff max (" + max + ") must be at least its initial wait (" + initial + ")");
        }
        if (!(jitter >= 0 && jitter <= 1)) {
            throw GmqException.invalidArgument("retry backoff jitter must be between 0 and 1, not " + jitter);
        }
    }

    /** A fixed wait, the same for every attempt. */
    public static RetryBackoff fixed(Duration wait) {
        return new RetryBackoff(wait, wait, 0);
    }

    /** Doubling from {@code initial} up to {@code max}, no jitter. */
    public static RetryBackoff exponential(Duration initial, Duration max) {
        return new RetryBackoff(initial, max, 0);
    }

    /** This policy with {@code jitter} (0 to 1) of each wait drawn at random. */
    public RetryBackoff withJitter(double jitter) {
        return new RetryBackoff(initial, max, jitter);
    }

    /** The wait before attempt {@code failedDeliveries + 1}, in nanoseconds, jitter drawn from {@code random01}. */
    public long delayNanos(int failedDeliveries, double random01) {
        return delayNanos(initial.toNanos(), max.toNanos(), jitter, failedDeliveries, random01);
    }

    /** The wait before the next attempt after {@code failedDeliveries} failed deliveries, with random jitter. */
    public long delayNanos(int failedDeliveries) {
        return delayNanos(
                failedDeliveries, jitter == 0 ? 0 : ThreadLocalRandom.current().nextDouble());
    }

    /**
     * {@code min(max, initial * 2^(n-1))} less {@code jitter * random01} of it, for {@code n =
     * failedDeliveries} (at least 1). Overflow-safe: once doubling would pass {@code max}, it is
     * {@code max}.
     */
    public static long delayNanos(
            long initialNanos, long maxNanos, double jitter, int failedDeliveries, double random01) {
        if (initialNanos <= 0) {
            return 0;
        }
        int shift = Math.max(0, failedDeliveries - 1);
        long d;
        if (shift >= 62 || initialNanos > (maxNanos >> shift)) {
            d = maxNanos;
        } else {
            d = Math.min(maxNanos, initialNanos << shift);
        }
        if (jitter > 0) {
            d -= (long) (d * jitter * Math.min(1.0, Math.max(0.0, random01)));
        }
        return d;
    }
}
