package io.gmq.net.security;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Audit lines for refused connections, at most one per {@code interval}: a client hammering a full
 * listener with 10,000 connects must not turn into 10,000 log lines. The first refusal after a
 * quiet interval is logged at once, with the number of refusals since the previous line that were
 * counted but not logged; refusals within the interval are only counted. When a refusal starts such
 * a run of unlogged ones, {@link #rejected} says so, and the caller runs {@link #flush()} one
 * interval later, which logs the count if no line has carried it yet.
 *
 * <p>Thread-safe without locks: whoever wins the compare-and-set on {@code nextLineAt} writes the
 * line, everyone else adds to {@code unlogged}. A count added just after the winner read it is
 * reported on the next line, so no refusal goes uncounted (the listener also keeps a total, see
 * {@link ConnectionLimiter#rejectedConnections()}).
 */
final class RejectionAudit {
    static final long DEFAULT_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Logger AUDIT = LoggerFactory.getLogger("gmq.audit");

    private final Consumer<String> sink;
    private final LongSupplier nanoClock;
    private final long intervalNanos;
    private final AtomicLong nextLineAt;
    private final AtomicLong unlogged = new AtomicLong();

    RejectionAudit(Consumer<String> sink, LongSupplier nanoClock, long intervalNanos) {
        this.sink = sink;
        this.nanoClock = nanoClock;
        this.intervalNanos = intervalNanos;
        this.nextLineAt = new AtomicLong(nanoClock.getAsLong());
    }

    /** Writes to the {@code gmq.audit} logger at INFO, one line per second at most. */
    static RejectionAudit toAuditLog() {
        return new RejectionAudit(AUDIT::info, System::nanoTime, DEFAULT_INTERVAL_NANOS);
    }

    long intervalNanos() {
        return intervalNanos;
    }

    /**
     * Audits one refusal. Returns true if it was held back as the first of a run of unlogged
     * refusals: the caller should then call {@link #flush()} after {@link #intervalNanos()}.
     */
    boolean rejected(String ip, String reason) {
        long now = nanoClock.getAsLong();
        long next = nextLineAt.get();
        if (now - next >= 0 && nextLineAt.compareAndSet(next, now + intervalNanos)) {
            long skipped = unlogged.getAndSet(0);
            sink.accept("connection rejected: remote=" + ip + " reason=" + reason
                    + (skipped == 0 ? "" : " (" + skipped + " more rejected since the previous line)"));
            return false;
        }
        return unlogged.incrementAndGet() == 1;
    }

    /** Logs the count of refusals held back since the last line, if any and if a line is due. */
    void flush() {
        long now = nanoClock.getAsLong();
        long next = nextLineAt.get();
        if (unlogged.get() > 0 && now - next >= 0 && nextLineAt.compareAndSet(next, now + intervalNanos)) {
            long skipped = unlogged.getAndSet(0);
            if (skipped > 0) {
                sink.accept("connection rejected: " + skipped + " more since the previous line");
            }
        }
    }
}
