package io.gmq.net.cli;

import io.gmq.FlushPolicy;
import io.gmq.GmqException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(-?\\d+)(kib|mib|gib|tib)?");
    private static final Pattern DECIMAL_SIZE = Pattern.compile("-?\\d+(k|m|g|t)b?");
    private static final String DURATION_FORMS = "use 500ms, 30s, 5m, 2h, 7d or ISO-8601 such as PT30S";
    private static final String SIZE_FORMS = "use bytes (65536) or KiB, MiB, GiB, TiB (powers of 1024), such as 64KiB";

    private SettingSyntax() {}

    static Duration parseDuration(String text) {
        String t = text.trim();
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        if (t.startsWith("P") || t.startsWith("p") || t.startsWith("-P")) {
            try {
                return Duration.parse(t);
            } catch (DateTimeParseException e) {
                throw new TypeConversionException("'" + text + "' is not a duration: " + DURATION_FORMS);
            }
        }
        Matcher m = DURATION.matcher(t);
        if (!m.matches()) {
            throw new TypeConversionException("'" + text + "' is not a duration: " + DURATION_FORMS);
        }
        try {
            long n = Long.parseLong(m.group(1));
            return switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                case "h" -> Duration.ofHours(n);
                default -> Duration.ofDays(n);
            };
        } catch (NumberFormatException | ArithmeticException e) {
            throw new TypeConversionException("'" + text + "' is too long a duration");
        }
    }

    /** The shortest exact form {@link #parseDuration} reads back: {@code 7d}, {@code 30s}, {@code 100ms}. */
    static String formatDuration(Duration d) {
        if (d.isZero()) {
            return "0s";
        }
        if (d.isNegative() || d.getNano() % 1_000_000 != 0) {
            return d.toString();
        }
        long ms = d.toMillis();
        long[] units = {86_400_000L, 3_600_000L, 60_000L, 1_000L};
        String[] names = {"d", "h", "m", "s"};
        for (int i = 0; i < units.length; i++) {
            if (ms % units[i] == 0) {
                return ms / units[i] + names[i];
            }
        }
        return ms + "ms";
    }

    static long parseBytes(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIZE.matcher(t);
        if (!m.matches()) {
            String hint = DECIMAL_SIZE.matcher(t).matches() ? " (KB, MB, GB are ambiguous)" : "";
            throw new TypeConversionException("'" + text + "' is not a size" + hint + ": " + SIZE_FORMS);
        }
        int shift = m.group(2) == null
                ? 0
                : switch (m.group(2)) {
                    case "kib" -> 10;
                    case "mib" -> 20;
                    case "gib" -> 30;
                    default -> 40;
                };
        try {
            long n = Long.parseLong(m.group(1));
            return Math.multiplyExact(n, 1L << shift);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new TypeConversionException("'" + text + "' is too large a size");
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
