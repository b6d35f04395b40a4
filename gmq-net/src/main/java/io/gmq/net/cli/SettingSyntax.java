package io.gmq.net.cli;

import io.gmq.FlushPolicy;
import io.gmq.GmqException;
import io.gmq.Units;
import java.time.Duration;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * How the process commands write durations and sizes, on the command line and in a
 * {@code --config} file alike.
 *
 * <ul>
 *   <li>Duration: a whole number and a unit, {@code 500ms}, {@code 30s}, {@code 5m}, {@code 2h},
 *       {@code 7d}; or ISO-8601, {@code PT30S}, {@code P7D}; {@code 0} alone is zero.
 *   <li>Size: plain bytes, {@code 65536}; or {@code KiB}, {@code MiB}, {@code GiB}, {@code TiB}
 *       (powers of 1024, any case), {@code 64KiB}. {@code KB}, {@code MB}, {@code GB} are refused:
 *       half the world reads them as powers of 1000, the other half as powers of 1024.
 * </ul>
 *
 * A picocli converter throws {@link TypeConversionException}; picocli turns it into a usage error
 * (exit 2) that names the flag.
 */
final class SettingSyntax {
    private SettingSyntax() {}

    static Duration parseDuration(String text) {
        try {
            return Units.parseDuration(text);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    /** The shortest exact form {@link #parseDuration} reads back: {@code 7d}, {@code 30s}, {@code 100ms}. */
    static String formatDuration(Duration d) {
        return Units.formatDuration(d);
    }

    static long parseBytes(String text) {
        try {
            return Units.parseBytes(text);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }

    /** A size in bytes, {@code long}. */
    static final class Bytes implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            return parseBytes(value);
        }
    }

    /** A size in bytes that must fit an {@code int} (at most 2 GiB - 1). */
    static final class IntBytes implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            long n = parseBytes(value);
            if (n < Integer.MIN_VALUE || n > Integer.MAX_VALUE) {
                throw new TypeConversionException("'" + value + "' is more than " + Integer.MAX_VALUE + " bytes");
            }
            return (int) n;
        }
    }

    /** A duration ({@link #parseDuration}). */
    static final class Time implements ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return parseDuration(value);
        }
    }

    /** A retention age: a duration, or {@code forever} (null: segments are never deleted for their age). */
    static final class RetentionAge implements ITypeConverter<Duration> {
        static final String FOREVER = "forever";

        @Override
        public Duration convert(String value) {
            return value.trim().equalsIgnoreCase(FOREVER) ? null : parseDuration(value);
        }
    }

    /** {@code sync}, {@code os} or an interval in milliseconds ({@link FlushPolicy#parse}). */
    static final class Flush implements ITypeConverter<FlushPolicy> {
        @Override
        public FlushPolicy convert(String value) {
            try {
                return FlushPolicy.parse(value);
            } catch (GmqException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
