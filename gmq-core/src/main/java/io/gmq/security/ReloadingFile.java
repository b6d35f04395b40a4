package io.gmq.security;

import io.gmq.GmqException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A text file parsed into a value of type {@code T} that is re-read when its content changes.
 *
 * <p>Change detection hashes the whole content (SHA-256) on every check instead of trusting the
 * modification time: token and ACL files are a few kilobytes, and file systems with one-second
 * time stamps would miss two edits within a second that keep the size.
 *
 * <p>Invariants: {@link #current()} always returns a completely parsed version (the first one, or
 * the last content that parsed); a content that fails to parse is never half-applied, is logged
 * once with the file and line, and is not re-parsed until the content changes again. Reloads are
 * serialised ({@code synchronized}); readers never block (one volatile read).
 */
final class ReloadingFile<T> {
    private static final Logger LOG = LoggerFactory.getLogger(ReloadingFile.class);

    private record Version<T>(T value, byte[] contentHash) {}

    private final Path file;
    private final String what;
    private final BiFunction<List<String>, String, T> parser;
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
    private volatile Version<T> current;
    /** Hash of the last content that failed to parse (or null): it is reported once, not every poll. */
    private byte[] rejectedHash;

    /**
     * @param what the kind of file in messages ("token file", "ACL file")
     * @param parser lines and a source name ("token file /etc/gmq/tokens") to a value; throws
     *     {@link GmqException} naming the line on malformed content
     */
    private ReloadingFile(Path file, String what, BiFunction<List<String>, String, T> parser) {
        this.file = file;
        this.what = what;
        this.parser = parser;
    }

    /** Reads and parses {@code file} now; a missing or malformed file fails here (at start). */
    static <T> ReloadingFile<T> load(Path file, String what, BiFunction<List<String>, String, T> parser) {
        ReloadingFile<T> f = new ReloadingFile<>(file, what, parser);
        byte[] content = f.read();
        f.current = new Version<>(f.parse(content), sha256(content));
        return f;
    }

    T current() {
        return current.value();
    }

    Path file() {
        return file;
    }

    /** Runs {@code listener} after every reload that changed the value (on the reloading thread). */
    Reloadable.Registration onReload(Runnable listener) {
        listeners.add(listener);
        return () -> listeners.remove(listener);
    }

    /**
     * Re-reads the file and applies it if its content changed.
     *
     * @return true if a new version was applied, false if the content is unchanged
     * @throws GmqException (INVALID_ARGUMENT) if the file cannot be read or does not parse; the
     *     previous version stays in force
     */
    synchronized boolean reloadIfChanged() {
        T value;
        byte[] hash = null;
        try {
            byte[] content = read();
            hash = sha256(content);
            if (Arrays.equals(hash, current.contentHash())) {
                rejectedHash = null; // edited back to the version in force
                return false;
            }
            value = parse(content);
        } catch (GmqException e) {
            byte[] failed = hash; // null when the file could not be read: reported on every attempt
            if (failed == null || !Arrays.equals(failed, rejectedHash)) {
                LOG.error("{} {} not reloaded, the previous version stays in force: {}", what, file, e.getMessage());
            }
            rejectedHash = failed;
            throw e;
        }
        current = new Version<>(value, hash);
        rejectedHash = null;
        LOG.info("{} {} reloaded", what, file);
        for (Runnable l : listeners) {
            try {
                l.run();
            } catch (RuntimeException e) {
                LOG.error("a listener of {} {} failed after the reload", what, file, e);
            }
        }
        return true;
    }

    private byte[] read() {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw GmqException.invalidArgument("cannot read " + what + " " + file + ": " + e);
        }
    }

    private T parse(byte[] content) {
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(content))
                    .toString();
        } catch (CharacterCodingException e) {
            throw GmqException.invalidArgument(what + " " + file + " is not valid UTF-8");
        }
        return parser.apply(text.lines().toList(), what + " " + file);
    }

    private static byte[] sha256(byte[] content) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(content);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }
}
