package io.gmq.client.internal;

import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongUnaryOperator;

/**
 * Delays between attempts to reach a broker: exponential with "equal jitter". The ceiling starts at
 * {@link #INITIAL_MILLIS} and doubles per failed attempt up to the configured cap; each delay is half
 * the ceiling plus a uniformly random share of the other half, so a delay lies in
 * {@code [ceiling / 2, ceiling]}.
 *
 * <p>Why jitter: when a broker restarts, every client it had lost retries; without jitter they all
 * retry at the same instants (50, 150, 350 ms, ...) and hit the returning broker together. Why equal
 * rather than full jitter ({@code [0, ceiling]}): a delay never drops near zero, so one client never
 * spins against a broker that refuses connections.
 *
 * <p>Not thread-safe: each owner (the connect loop, the connection's reconnect schedule) guards its
 * own instance. The random source is passed in so tests pin the delays.
 */
final class ReconnectBackoff {
    /** The first ceiling: a broker that is back within ~50 ms is reached at once. */
    static final long INITIAL_MILLIS = 50;

    private final long capMillis;
    /** Given a bound {@code n}, a value in {@code [0, n)}. */
    private final LongUnaryOperator random;

    private long ceilingMillis;

    ReconnectBackoff(long capMillis, LongUnaryOperator random) {
        if (capMillis < 1) {
            throw new IllegalArgumentException("backoff cap must be at least 1 ms, was " + capMillis);
        }
        this.capMillis = capMillis;
        this.random = random;
        reset();
    }

    /** A backoff whose jitter comes from {@link ThreadLocalRandom}. */
    static ReconnectBackoff withRandomJitter(long capMillis) {
        return new ReconnectBackoff(capMillis, n -> ThreadLocalRandom.current().nextLong(n));
    }

    /** The delay before the next attempt; raises the ceiling for the one after. */
    long nextDelayMillis() {
        long ceiling = ceilingMillis;
        ceilingMillis = Math.min(ceiling * 2, capMillis);
        long half = ceiling / 2;
        return half + random.applyAsLong(ceiling - half + 1);
    }

    /** Back to the first ceiling (a connection succeeded). */
    void reset() {
        ceilingMillis = Math.min(INITIAL_MILLIS, capMillis);
    }
}
