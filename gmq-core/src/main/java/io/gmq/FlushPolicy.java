package io.gmq;

import java.time.Duration;

/**
 * When appended bytes are forced to the disk, and so when a QoS 1 publish is acknowledged.
 *
 * <ul>
 *   <li>{@link #SYNC} (default): every group commit ends with an fsync, and a QoS 1 publish
 *       completes only after it. Nothing acknowledged is lost on power failure.
 *   <li>{@link #interval(Duration)}: fsync at most every interval; a publish completes once
 *       written to the OS. A power failure can lose up to one interval of acknowledged writes;
 *       a process crash loses nothing.
 *   <li>{@link #OS}: never fsync on the write path; the OS writes back when it likes (the files
 *       are still forced on clean close and on segment roll).
 * </ul>
 */
public final class FlushPolicy {
    public enum Kind {
        SYNC,
        INTERVAL,
        OS
    }

    public static final FlushPolicy SYNC = new FlushPolicy(Kind.SYNC, Duration.ZERO);
    public static final FlushPolicy OS = new FlushPolicy(Kind.OS, Duration.ZERO);

    private final Kind kind;
    private final Duration interval;

    private FlushPolicy(Kind kind, Duration interval) {
        this.kind = kind;
        this.interval = interval;
    }

    public static FlushPolicy interval(Duration interval) {
        if (interval.isNegative() || interval.isZero()) {
            throw GmqException.invalidArgument("flush interval must be positive, was " + interval);
        }
        return new FlushPolicy(Kind.INTERVAL, interval);
    }

    /** Parses "sync", "os" or an interval in milliseconds such as "100ms" or "100". */
    public static FlushPolicy parse(String text) {
        String t = text.trim().toLowerCase(java.util.Locale.ROOT);
        if (t.equals("sync")) {
            return SYNC;
        }
        if (t.equals("os") || t.equals("none")) {
            return OS;
        }
        try {
            return interval(Duration.ofMillis(Long.parseLong(t.endsWith("ms") ? t.substring(0, t.length() - 2) : t)));
        } catch (NumberFormatException e) {
            throw GmqException.invalidArgument("flush policy '" + text + "': use sync, os, or an interval like 100ms");
        }
    }

    public Kind kind() {
        return kind;
    }

    public Duration interval() {
        return interval;
    }

    /** True if a durable append must wait for an fsync. */
    public boolean syncBeforeAck() {
        return kind == Kind.SYNC;
    }

    @Override
    public String toString() {
        return kind == Kind.INTERVAL ? interval.toMillis() + "ms" : kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
