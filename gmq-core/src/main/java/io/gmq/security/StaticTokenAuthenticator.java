package io.gmq.security;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiPredicate;

/**
 * Authenticates bearer tokens against a fixed table, loaded from a file of lines
 * {@code TOKEN PRINCIPAL} (whitespace-separated; blank lines and lines starting with {@code #}
 * ignored). Several tokens may map to one principal, which allows rotating a token without downtime.
 *
 * <p>Timing: a lookup must not reveal how much of a guessed token was right. So the table holds
 * SHA-256 digests of the tokens (equal length whatever the token length), and every lookup compares
 * the presented token's digest with every entry using {@link MessageDigest#isEqual} (constant time
 * per comparison) without stopping at the first match. Token bytes never appear in errors or logs.
 */
public final class StaticTokenAuthenticator implements Authenticator {
    static final String INVALID_TOKEN = "invalid or missing token";
    private static final int FIELDS = 2;

    private record Entry(byte[] tokenDigest, Principal principal) {}

    private final List<Entry> entries;
    private final BiPredicate<byte[], byte[]> digestEquals;

    StaticTokenAuthenticator(Map<String, Principal> tokens, BiPredicate<byte[], byte[]> digestEquals) {
        List<Entry> list = new ArrayList<>();
        tokens.forEach((token, principal) -> list.add(new Entry(digest(token), principal)));
        this.entries = List.copyOf(list);
        this.digestEquals = digestEquals;
    }

    /** An authenticator for this token-to-principal table (for embedding and tests). */
    public static StaticTokenAuthenticator of(Map<String, Principal> tokens) {
        return new StaticTokenAuthenticator(tokens, MessageDigest::isEqual);
    }

    /**
     * Loads {@code TOKEN PRINCIPAL} lines. A malformed line, an invalid principal name or a token
     * listed twice fails the load with the line number (and without echoing the token).
     */
    public static StaticTokenAuthenticator fromFile(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw GmqException.invalidArgument("cannot read token file " + file + ": " + e.getMessage());
        }
        return of(parse(lines, "token file " + file));
    }

    static Map<String, Principal> parse(List<String> lines, String source) {
        Map<String, Principal> tokens = new java.util.LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = source + " line " + (i + 1) + ": ";
            String[] fields = line.split("\\s+");
            if (fields.length != FIELDS) {
                throw GmqException.invalidArgument(
                        where + "expected 'TOKEN PRINCIPAL', got " + fields.length + " field(s)");
            }
            Principal principal;
            try {
                principal = new Principal(fields[1]);
            } catch (GmqException e) {
                throw GmqException.invalidArgument(where + e.getMessage());
            }
            if (tokens.putIfAbsent(fields[0], principal) != null) {
                throw GmqException.invalidArgument(where + "this token is already listed on an earlier line");
            }
        }
        return tokens;
    }

    @Override
    public Principal authenticate(String bearerToken) {
        if (bearerToken == null || bearerToken.isEmpty()) {
            Audit.authenticationFailed("missing token");
            throw new GmqException(ErrorCode.UNAUTHENTICATED, INVALID_TOKEN);
        }
        Optional<Principal> found = principalOfDigest(digest(bearerToken));
        if (found.isEmpty()) {
            Audit.authenticationFailed("unknown token");
            throw new GmqException(ErrorCode.UNAUTHENTICATED, INVALID_TOKEN);
        }
        return found.get();
    }

    /**
     * The principal of the token whose {@link #tokenDigest} this is, without auditing. Lets a server
     * re-check, after the token file changed, the calls it authenticated earlier while keeping only
     * digests, never tokens, in memory.
     */
    public Optional<Principal> principalOfDigest(byte[] tokenDigest) {
        Principal found = null;
        for (Entry entry : entries) {
            // No early exit: the loop's duration must not depend on which entry matches.
            if (digestEquals.test(tokenDigest, entry.tokenDigest()) && found == null) {
                found = entry.principal();
            }
        }
        return Optional.ofNullable(found);
    }

    /** The SHA-256 digest of a token, as {@link #principalOfDigest} expects it. */
    public static byte[] tokenDigest(String token) {
        return digest(token);
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides SHA-256", e);
        }
    }
}
