package io.gmq;

/** A position in a partition: earliest, latest, an exact offset, or the first record at or after a timestamp. */
public record OffsetSpec(Kind kind, long value) {
    public enum Kind {
        EARLIEST,
        LATEST,
        OFFSET,
        TIMESTAMP
    }

    public static OffsetSpec earliest() {
        return new OffsetSpec(Kind.EARLIEST, 0);
    }

    public static OffsetSpec latest() {
        return new OffsetSpec(Kind.LATEST, 0);
    }

    public static OffsetSpec offset(long offset) {
        if (offset < 0) {
            throw GmqException.invalidArgument("offset must not be negative, was " + offset);
        }
        return new OffsetSpec(Kind.OFFSET, offset);
    }

    public static OffsetSpec timestamp(long epochMillis) {
        return new OffsetSpec(Kind.TIMESTAMP, epochMillis);
    }
}
