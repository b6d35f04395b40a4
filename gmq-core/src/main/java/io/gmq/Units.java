package io.gmq;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How settings spell durations and sizes, everywhere (flags, config files, topic settings, quota
 * files). Durations: {@code 0}, a whole number with {@code ms}, {@code s}, {@code m}, {@code h} or
 * {@code d}, or ISO-8601 ({@code PT30S}). Sizes: bytes, or with {@code KiB}, {@code MiB},
 * {@code GiB}, {@code TiB} (powers of 1024, case does not matter); {@code KB}, {@code MB}, ... are
 * refused as ambiguous. A malformed value is an {@link IllegalArgumentException} whose message
 * says what the forms are; callers add which setting it was.
 */
public final class Units {
    private static final Pattern DURATION = Pattern.compile("(\\d+)(ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(-?\\d+)(kib|mib|gib|tib)?");
    private static final Pattern DECIMAL_SIZE = Pattern.compile("-?\\d+(k|m|g|t)b?");
    private static final String DURATION_FORMS = "use 500ms, 30s, 5m, 2h, 7d or ISO-8601 such as PT30S";
    private static final String SIZE_FORMS = "use bytes (65536) or KiB, MiB, GiB, TiB (powers of 1024), such as 64KiB";

    private Units() {}

    public static Duration parseDuration(String text) {
        String t = text.trim();
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        if (t.startsWith("P") || t.startsWith("p") || t.startsWith("-P")) {
            try {
                return Duration.parse(t);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("'" + text + "' is not a duration: " + DURATION_FORMS);
            }
        }
        Matcher m = DURATION.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration: " + DURATION_FORMS);
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
            throw new IllegalArgumentException("'" + text + "' is too long a duration");
        }
    }

    /** The shortest exact form {@link #parseDuration} reads back: {@code 7d}, {@code 30s}, {@code 100ms}. */
    public static String formatDuration(Duration d) {
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

    public static long parseBytes(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        Matcher m = SIZE.matcher(t);
        if (!m.matches()) {
            String hint = DECIMAL_SIZE.matcher(t).matches() ? " (KB, MB, GB are ambiguous)" : "";
            throw new IllegalArgumentException("'" + text + "' is not a size" + hint + ": " + SIZE_FORMS);
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
            throw new IllegalArgumentException("'" + text + "' is too large a size");
        }
    }
}
