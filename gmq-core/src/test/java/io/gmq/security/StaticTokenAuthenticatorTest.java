package io.gmq.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StaticTokenAuthenticatorTest {

    @Test
    void tokenFromFileAuthenticatesAsItsPrincipal(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("tokens");
        Files.writeString(file, "# token principal\n\ns3cr3t-a alice\n  s3cr3t-b\tbob  \ns3cr3t-a2 alice\n");

        StaticTokenAuthenticator authenticator = StaticTokenAuthenticator.fromFile(file);

        assertEquals(new Principal("alice"), authenticator.authenticate("s3cr3t-a"));
        assertEquals(new Principal("bob"), authenticator.authenticate("s3cr3t-b"));
        assertEquals(new Principal("alice"), authenticator.authenticate("s3cr3t-a2"));
    }

    @Test
    void unknownMissingAndEmptyTokensAreUnauthenticatedAlike() {
        StaticTokenAuthenticator authenticator = StaticTokenAuthenticator.of(Map.of("s3cr3t", new Principal("alice")));

        for (String token : new String[] {"s3cr3", "s3cr3t ", "S3CR3T", "", null}) {
            GmqException e = assertThrows(GmqException.class, () -> authenticator.authenticate(token));
            assertEquals(ErrorCode.UNAUTHENTICATED, e.code());
            assertEquals("invalid or missing token", e.getMessage());
        }
    }

    @Test
    void malformedLineIsReportedWithItsNumberAndWithoutTheToken() {
        GmqException e = assertThrows(
                GmqException.class,
                () -> StaticTokenAuthenticator.parse(
                        List.of("# tokens", "good alice", "", "topsecret alice extra"), "token file t"));

        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertEquals("token file t line 4: expected 'TOKEN PRINCIPAL', got 3 field(s)", e.getMessage());
        assertFalse(e.getMessage().contains("topsecret"));
    }

    @Test
    void lineWithOnlyATokenIsMalformed() {
        GmqException e = assertThrows(
                GmqException.class, () -> StaticTokenAuthenticator.parse(List.of("lonely"), "token file t"));

        assertEquals("token file t line 1: expected 'TOKEN PRINCIPAL', got 1 field(s)", e.getMessage());
    }

    @Test
    void duplicateTokenIsReportedWithTheLaterLineNumber() {
        GmqException e = assertThrows(
                GmqException.class,
                () -> StaticTokenAuthenticator.parse(List.of("same alice", "same bob"), "token file t"));

        assertEquals("token file t line 2: this token is already listed on an earlier line", e.getMessage());
    }

    @Test
    void invalidPrincipalNameIsReportedWithItsLine() {
        GmqException e = assertThrows(
                GmqException.class, () -> StaticTokenAuthenticator.parse(List.of("tok *"), "token file t"));

        assertTrue(e.getMessage().startsWith("token file t line 1: principal name '*' is invalid"), e.getMessage());
    }

    @Test
    void unreadableFileIsAnInvalidArgument(@TempDir Path dir) {
        GmqException e =
                assertThrows(GmqException.class, () -> StaticTokenAuthenticator.fromFile(dir.resolve("absent")));

        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
    }

    /**
     * The timing argument made concrete: whichever entry matches (first, last, none), a lookup runs
     * the constant-time digest comparison against every entry, on equal-length digests.
     */
    @Test
    void everyLookupComparesFixedLengthDigestsWithEveryEntry() {
        Map<String, Principal> tokens = new LinkedHashMap<>();
        tokens.put("first-token", new Principal("a"));
        tokens.put("middle", new Principal("b"));
        tokens.put("a-much-longer-last-token-value", new Principal("c"));
        AtomicInteger comparisons = new AtomicInteger();
        StaticTokenAuthenticator authenticator = new StaticTokenAuthenticator(tokens, (presented, stored) -> {
            comparisons.incrementAndGet();
            assertEquals(stored.length, presented.length, "digests hide the token length");
            return MessageDigest.isEqual(presented, stored);
        });

        for (String token : List.of("first-token", "a-much-longer-last-token-value", "x")) {
            comparisons.set(0);
            try {
                authenticator.authenticate(token);
            } catch (GmqException expectedForUnknown) {
                assertEquals(ErrorCode.UNAUTHENTICATED, expectedForUnknown.code());
            }
            assertEquals(tokens.size(), comparisons.get(), "comparisons for '" + token + "'");
        }
    }
}
