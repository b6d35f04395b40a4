package io.gmq;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A topic's own settings: overrides of the engine-wide values of {@link GmqConfig}, stored with
 * the topic and changeable while it is in use ({@link GmqAdmin#alterTopicConfig}). A setting a
 * topic does not set is the engine's. Keys and values as the CLI takes them ({@code topics create
 * --config retention-age=7d}):
 *
 * <table>
 *   <caption>Topic settings</caption>
 *   <tr><th>key</th><th>value</th><th>engine default</th><th>takes effect</th></tr>
 *   <tr><td>{@code retention-age}</td><td>a duration; {@code -1}: forever</td>
 *       <td>{@link GmqConfig#retentionAge()}</td><td>next retention check (storage)</td></tr>
 *   <tr><td>{@code retention-bytes}</td><td>a size per partition; {@code -1}: no limit</td>
 *       <td>{@link GmqConfig#retentionBytes()}</td><td>next retention check (storage)</td></tr>
 *   <tr><td>{@code segment-bytes}</td><td>a size, at least 1 KiB</td>
 *       <td>{@link GmqConfig#segmentBytes()}</td><td>next segment roll (storage)</td></tr>
 *   <tr><td>{@code max-message-bytes}</td><td>a size, 1 byte to the engine's maxMessageBytes</td>
 *       <td>{@link GmqConfig#maxMessageBytes()}</td><td>next publish (broker and storage)</td></tr>
 *   <tr><td>{@code ack-timeout}</td><td>a duration, at least 1 ms</td>
 *       <td>{@link GmqConfig#ackTimeout()}</td><td>next delivery (broker)</td></tr>
 *   <tr><td>{@code max-deliveries}</td><td>a count; {@code 0}: never dead-letter</td>
 *       <td>{@link GmqConfig#maxDeliveries()}</td><td>next redelivery (broker)</td></tr>
 *   <tr><td>{@code nack-backoff}</td><td>a duration, 0 or more</td>
 *       <td>{@link GmqConfig#nackBackoff()}</td><td>next nack (broker)</td></tr>
 *   <tr><td>{@code nack-backoff-max}</td><td>a duration, at least nack-backoff: each failed
 *       delivery of a message doubles its wait up to this cap</td>
 *       <td>nack-backoff (a fixed wait)</td><td>next nack or timeout (broker)</td></tr>
 *   <tr><td>{@code nack-backoff-jitter}</td><td>a fraction 0 to 1 of each wait drawn at random</td>
 *       <td>0</td><td>next nack or timeout (broker)</td></tr>
 * </table>
 *
 * <p>The three nack-backoff settings make one {@link RetryBackoff}, used after nacks and ack
 * timeouts alike; a consumer group's own {@link ConsumerConfig#retryBackoff()} and a delay given
 * with a nack win over it.
 *
 * <p>Durations and sizes as {@link Units} spells them ({@code 30s}, {@code 7d}, {@code 64KiB}). A
 * bad key or value is INVALID_ARGUMENT naming it.
 */
public final class TopicConfig {
    public static final String RETENTION_AGE = "retention-age";
    public static final String RETENTION_BYTES = "retention-bytes";
    public static final String SEGMENT_BYTES = "segment-bytes";
    public static final String MAX_MESSAGE_BYTES = "max-message-bytes";
    public static final String ACK_TIMEOUT = "ack-timeout";
    public static final String MAX_DELIVERIES = "max-deliveries";
    public static final String NACK_BACKOFF = "nack-backoff";
    public static final String NACK_BACKOFF_MAX = "nack-backoff-max";
    public static final String NACK_BACKOFF_JITTER = "nack-backoff-jitter";

    /** Every key, in the order describe prints them. */
    public static final List<String> KEYS = List.of(
            RETENTION_AGE,
            RETENTION_BYTES,
            SEGMENT_BYTES,
            MAX_MESSAGE_BYTES,
            ACK_TIMEOUT,
            MAX_DELIVERIES,
            NACK_BACKOFF,
            NACK_BACKOFF_MAX,
            NACK_BACKOFF_JITTER);

    private static final TopicConfig EMPTY = new TopicConfig(Map.of());

    /** Key -> canonical value, only the keys the topic sets. */
    private final Map<String, String> values;

    private TopicConfig(Map<String, String> values) {
        this.values = values;
    }

    /** No setting of its own: every value is the engine's. */
    public static TopicConfig empty() {
        return EMPTY;
    }

    /** The settings {@code values} (key -> value as the CLI takes it); INVALID_ARGUMENT naming a bad key or value. */
    public static TopicConfig of(Map<String, String> values) {
        return EMPTY.with(values);
    }

    /**
     * These settings with {@code changes} applied: a key with a value sets it, a key with an empty
     * value (or null) goes back to the engine's value. INVALID_ARGUMENT naming a bad key or value;
     * nothing changes then.
     */
    public TopicConfig with(Map<String, String> changes) {
        Map<String, String> next = new TreeMap<>(values);
        for (Map.Entry<String, String> e : changes.entrySet()) {
            String key = e.getKey();
            if (!KEYS.contains(key)) {
                throw GmqException.invalidArgument(
                        "unknown topic setting '" + key + "'; known: " + String.join(", ", KEYS));
            }
            String value = e.getValue() == null ? "" : e.getValue().trim();
            if (value.isEmpty()) {
                next.remove(key);
            } else {
                next.put(key, canonical(key, value));
            }
        }
        TopicConfig result = next.isEmpty() ? EMPTY : new TopicConfig(Collections.unmodifiableMap(next));
        String max = next.get(NACK_BACKOFF_MAX);
        String initial = next.get(NACK_BACKOFF);
        if (max != null
                && initial != null
                && parseDuration(NACK_BACKOFF_MAX, max).compareTo(parseDuration(NACK_BACKOFF, initial)) < 0) {
            throw GmqException.invalidArgument("topic setting " + NACK_BACKOFF_MAX + " (" + max + ") must be at least "
                    + NACK_BACKOFF + " (" + initial + ")");
        }
        return result;
    }

    /** The keys this topic sets, with their values (sorted by key). */
    public Map<String, String> values() {
        return values;
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    /** Every key with its value for this topic: its own, or {@code engine}'s. */
    public Map<String, String> effective(GmqConfig engine) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(RETENTION_AGE, durationText(retentionAge(engine)));
        m.put(RETENTION_BYTES, Long.toString(retentionBytes(engine)));
        m.put(SEGMENT_BYTES, Long.toString(segmentBytes(engine)));
        m.put(MAX_MESSAGE_BYTES, Integer.toString(maxMessageBytes(engine)));
        m.put(ACK_TIMEOUT, durationText(ackTimeout(engine)));
        m.put(MAX_DELIVERIES, Integer.toString(maxDeliveries(engine)));
        m.put(NACK_BACKOFF, durationText(nackBackoff(engine)));
        RetryBackoff b = retryBackoff(engine);
        m.put(NACK_BACKOFF_MAX, durationText(b.max()));
        m.put(NACK_BACKOFF_JITTER, Double.toString(b.jitter()));
        return m;
    }

    /** Retention by age, or null for none (kept forever). */
    public Duration retentionAge(GmqConfig engine) {
        String v = values.get(RETENTION_AGE);
        if (v == null) {
            return engine.retentionAge();
        }
        return v.equals("-1") ? null : parseDuration(RETENTION_AGE, v);
    }

    public long retentionBytes(GmqConfig engine) {
        String v = values.get(RETENTION_BYTES);
        return v == null ? engine.retentionBytes() : Long.parseLong(v);
    }

    public long segmentBytes(GmqConfig engine) {
        String v = values.get(SEGMENT_BYTES);
        return v == null ? engine.segmentBytes() : Long.parseLong(v);
    }

    public int maxMessageBytes(GmqConfig engine) {
        String v = values.get(MAX_MESSAGE_BYTES);
        return v == null ? engine.maxMessageBytes() : Math.min(Integer.parseInt(v), engine.maxMessageBytes());
    }

    public Duration ackTimeout(GmqConfig engine) {
        String v = values.get(ACK_TIMEOUT);
        return v == null ? engine.ackTimeout() : parseDuration(ACK_TIMEOUT, v);
    }

    public int maxDeliveries(GmqConfig engine) {
        String v = values.get(MAX_DELIVERIES);
        return v == null ? engine.maxDeliveries() : Integer.parseInt(v);
    }

    public Duration nackBackoff(GmqConfig engine) {
        String v = values.get(NACK_BACKOFF);
        return v == null ? engine.nackBackoff() : parseDuration(NACK_BACKOFF, v);
    }

    /**
     * The topic's backoff between redeliveries: from nack-backoff, doubling up to
     * nack-backoff-max (unset: no growth), less up to nack-backoff-jitter of each wait. A cap
     * below the initial wait (the engine's nackBackoff raised later) is taken as the initial wait.
     */
    public RetryBackoff retryBackoff(GmqConfig engine) {
        Duration initial = nackBackoff(engine);
        String max = values.get(NACK_BACKOFF_MAX);
        Duration cap = max == null ? initial : parseDuration(NACK_BACKOFF_MAX, max);
        String jitter = values.get(NACK_BACKOFF_JITTER);
        return new RetryBackoff(
                initial, cap.compareTo(initial) < 0 ? initial : cap, jitter == null ? 0 : Double.parseDouble(jitter));
    }

    /** The settings as stored with the topic: {@code key=value} lines, sorted. */
    public String encode() {
        StringBuilder b = new StringBuilder();
        values.forEach((k, v) -> b.append(k).append('=').append(v).append('\n'));
        return b.toString();
    }

    /** Reads {@link #encode()}'s form; INVALID_ARGUMENT if it is not one. */
    public static TopicConfig decode(String text) {
        if (text == null || text.isBlank()) {
            return EMPTY;
        }
        Map<String, String> m = new TreeMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw GmqException.invalidArgument("malformed topic setting line '" + line + "'");
            }
            m.put(line.substring(0, eq), line.substring(eq + 1));
        }
        return of(m);
    }

    /** Checks {@code value} for {@code key} and returns it in one spelling (durations as {@link #durationText}). */
    private static String canonical(String key, String value) {
        switch (key) {
            case RETENTION_AGE:
                if (value.equals("-1")) {
                    return value;
                }
                return durationText(atLeast(key, parseDuration(key, value), Duration.ofMillis(1)));
            case ACK_TIMEOUT:
                return durationText(atLeast(key, parseDuration(key, value), Duration.ofMillis(1)));
            case NACK_BACKOFF:
            case NACK_BACKOFF_MAX:
                return durationText(atLeast(key, parseDuration(key, value), Duration.ZERO));
            case NACK_BACKOFF_JITTER:
                return Double.toString(parseFraction(key, value));
            case RETENTION_BYTES:
                if (value.equals("-1")) {
                    return value;
                }
                return Long.toString(range(key, parseBytes(key, value), 1, Long.MAX_VALUE));
            case SEGMENT_BYTES:
                return Long.toString(range(key, parseBytes(key, value), 1024, 1L << 40));
            case MAX_MESSAGE_BYTES:
                return Long.toString(range(key, parseBytes(key, value), 1, Integer.MAX_VALUE));
            case MAX_DELIVERIES:
                return Long.toString(range(key, parseCount(key, value), 0, Integer.MAX_VALUE));
            default:
                throw new IllegalStateException(key);
        }
    }

    private static Duration atLeast(String key, Duration d, Duration min) {
        if (d.compareTo(min) < 0) {
            throw GmqException.invalidArgument(
                    "topic setting " + key + " must be at least " + durationText(min) + ", not " + durationText(d));
        }
        return d;
    }

    private static long range(String key, long v, long min, long max) {
        if (v < min || v > max) {
            throw GmqException.invalidArgument(
                    "topic setting " + key + " must be between " + min + " and " + max + ", not " + v);
        }
        return v;
    }

    private static double parseFraction(String key, String value) {
        double d;
        try {
            d = Double.parseDouble(value);
        } catch (NumberFormatException e) {
            throw GmqException.invalidArgument(
                    "topic setting " + key + " needs a fraction from 0 to 1 (0.2), not '" + value + "'");
        }
        if (!(d >= 0 && d <= 1)) {
            throw GmqException.invalidArgument("topic setting " + key + " must be between 0 and 1, not " + value);
        }
        return d;
    }

    private static long parseCount(String key, String value) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw GmqException.invalidArgument("topic setting " + key + " needs a whole number, not '" + value + "'");
        }
    }

    /** A duration as {@link Units} spells it; INVALID_ARGUMENT naming {@code key} otherwise. */
    public static Duration parseDuration(String key, String value) {
        try {
            return Units.parseDuration(value);
        } catch (IllegalArgumentException e) {
            throw GmqException.invalidArgument("topic setting " + key + ": " + e.getMessage());
        }
    }

    /** A size as {@link Units} spells it; INVALID_ARGUMENT naming {@code key} otherwise. */
    public static long parseBytes(String key, String value) {
        try {
            return Units.parseBytes(value);
        } catch (IllegalArgumentException e) {
            throw GmqException.invalidArgument("topic setting " + key + ": " + e.getMessage());
        }
    }

    /** {@code d} in the largest unit that writes it whole: {@code 7d}, {@code 90s}, {@code 250ms}. */
    public static String durationText(Duration d) {
        return d == null ? "-1" : Units.formatDuration(d);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TopicConfig t && t.values.equals(values);
    }

    @Override
    public int hashCode() {
        return values.hashCode();
    }

    @Override
    public String toString() {
        return values.toString();
    }
}
