package io.gmq;

/**
 * Time as GMQ sees it, injectable so tests drive timeouts deterministically. Timeouts (session,
 * ack, pull interval) use {@link #nanoTime()}, which never jumps; record timestamps and
 * retention by age use {@link #wallMillis()}.
 */
public interface TimeSource {
    TimeSource SYSTEM = new TimeSource() {
        @Override
        public long wallMillis() {
            return System.currentTimeMillis();
        }

        @Override
        public long nanoTime() {
            return System.nanoTime();
        }
    };

    long wallMillis();

    long nanoTime();

    default long monotonicMillis() {
        return nanoTime() / 1_000_000L;
    }
}
