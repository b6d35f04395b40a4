package io.gmq.security;

import io.gmq.GmqException;
import io.gmq.Units;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Per-principal byte rates for publishing and fetching, as Kafka's client quotas: a principal over
 * its rate is throttled, not refused. Each principal (all of its connections together) has a token
 * bucket per direction that refills at its rate and holds at most one second of it; bytes taken
 * beyond what the bucket holds are a debt, and the caller waits {@link #publishThrottleNanos} /
 * {@link #fetchThrottleNanos} before it goes on, so over time the principal gets its rate.
 *
 * <p>The quota file has one line per principal, {@code *} for every principal without a line of
 * its own (and for unauthenticated callers, named {@code anonymous}):
 *
 * <pre>
 *   # principal   settings (either may be left out: no limit)
 *   analytics     publish-bytes-per-second=1MiB  fetch-bytes-per-second=4MiB
 *   *             publish-bytes-per-second=10MiB
 * </pre>
 *
 * It is re-read when it changes, like the token and ACL files ({@link Reloadable}); a changed
 * rate applies from the next call.
 */
public final class ByteRateQuotas implements Reloadable {
    public static final String PUBLISH = "publish-bytes-per-second";
    public static final String FETCH = "fetch-bytes-per-second";
    /** The principal of calls on a listener without authentication. */
    public static final String ANONYMOUS = "anonymous";

    /** A principal's rates in bytes per second; 0 is no limit. */
    public record Limits(long publishBytesPerSecond, long fetchBytesPerSecond) {
        static final Limits NONE = new Limits(0, 0);
    }

    private final ReloadingFile<Map<String, Limits>> file;
    private final Map<String, Limits> fixed;
    private final LongSupplier nanoTime;
    private final Map<String, Bucket> publish = new ConcurrentHashMap<>();
    private final Map<String, Bucket> fetch = new ConcurrentHashMap<>();

    private ByteRateQuotas(ReloadingFile<Map<String, Limits>> file, Map<String, Limits> fixed, LongSupplier nanoTime) {
        this.file = file;
        this.fixed = fixed;
        this.nanoTime = nanoTime;
    }

    /** Loads {@code quotaFile} now; a missing or malformed file fails with its line number. */
    public static ByteRateQuotas load(Path quotaFile) {
        return new ByteRateQuotas(
                ReloadingFile.load(quotaFile, "quota file", ByteRateQuotas::parse), null, System::nanoTime);
    }

    /** Fixed limits (principal name or {@code *} -> limits), time from {@code nanoTime}: for tests and embedders. */
    public static ByteRateQuotas of(Map<String, Limits> limits, LongSupplier nanoTime) {
        return new ByteRateQuotas(null, Map.copyOf(limits), nanoTime);
    }

    /**
     * Takes {@code bytes} published by {@code principal} (null: unauthenticated) from its bucket;
     * returns how long the caller should wait before it goes on (0: within its rate).
     */
    public long publishThrottleNanos(Principal principal, long bytes) {
        String name = name(principal);
        return take(publish, name, limits(name).publishBytesPerSecond(), bytes);
    }

    /** As {@link #publishThrottleNanos}, for bytes delivered to {@code principal}. */
    public long fetchThrottleNanos(Principal principal, long bytes) {
        String name = name(principal);
        return take(fetch, name, limits(name).fetchBytesPerSecond(), bytes);
    }

    /** The limits in force for {@code principal} (null: unauthenticated). */
    public Limits limits(Principal principal) {
        return limits(name(principal));
    }

    private static String name(Principal p) {
        return p == null ? ANONYMOUS : p.name();
    }

    private Limits limits(String name) {
        Map<String, Limits> m = file != null ? file.current() : fixed;
        Limits l = m.get(name);
        if (l == null) {
            l = m.getOrDefault(AclEntry.ANY_PRINCIPAL, Limits.NONE);
        }
        return l;
    }

    private long take(Map<String, Bucket> buckets, String name, long rate, long bytes) {
        if (rate <= 0) {
            return 0;
        }
        return buckets.computeIfAbsent(name, n -> new Bucket(rate, nanoTime.getAsLong()))
                .take(bytes, rate, nanoTime.getAsLong());
    }

    /** Tokens (bytes) that refill at the rate, at most one second's worth; negative: a debt. */
    private static final class Bucket {
        private double tokens;
        private long lastNanos;

        Bucket(long rate, long now) {
            this.tokens = rate;
            this.lastNanos = now;
        }

        synchronized long take(long bytes, long rate, long now) {
            tokens = Math.min(rate, tokens + (now - lastNanos) * (rate / 1e9));
            lastNanos = now;
            tokens -= bytes;
            return tokens >= 0 ? 0 : (long) Math.ceil(-tokens / rate * 1e9);
        }
    }

    /** Reads a quota file's lines; INVALID_ARGUMENT naming the line of a malformed one. */
    static Map<String, Limits> parse(List<String> lines, String source) {
        Map<String, Limits> m = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = source + " line " + (i + 1);
            String[] parts = line.split("\\s+");
            String principal = parts[0];
            if (!principal.equals(AclEntry.ANY_PRINCIPAL)) {
                try {
                    new Principal(principal);
                } catch (GmqException e) {
                    throw GmqException.invalidArgument(where + ": " + e.getMessage());
                }
            }
            if (m.containsKey(principal)) {
                throw GmqException.invalidArgument(where + ": principal " + principal + " has a line already");
            }
            long publishRate = 0;
            long fetchRate = 0;
            for (int k = 1; k < parts.length; k++) {
                int eq = parts[k].indexOf('=');
                String key = eq < 0 ? parts[k] : parts[k].substring(0, eq);
                if (eq < 0 || !(key.equals(PUBLISH) || key.equals(FETCH))) {
                    throw GmqException.invalidArgument(
                            where + ": expected " + PUBLISH + "=SIZE or " + FETCH + "=SIZE, not '" + parts[k] + "'");
                }
                long rate;
                try {
                    rate = Units.parseBytes(parts[k].substring(eq + 1));
                } catch (IllegalArgumentException e) {
                    throw GmqException.invalidArgument(where + ": " + key + ": " + e.getMessage());
                }
                if (rate < 1) {
                    throw GmqException.invalidArgument(where + ": " + key + " must be at least 1 byte a second");
                }
                if (key.equals(PUBLISH)) {
                    publishRate = rate;
                } else {
                    fetchRate = rate;
                }
            }
            m.put(principal, new Limits(publishRate, fetchRate));
        }
        return Map.copyOf(m);
    }

    @Override
    public Path file() {
        return file == null ? null : file.file();
    }

    @Override
    public boolean reloadIfChanged() {
        return file != null && file.reloadIfChanged();
    }

    @Override
    public Registration onReload(Runnable listener) {
        return file == null ? () -> {} : file.onReload(listener);
    }
}
