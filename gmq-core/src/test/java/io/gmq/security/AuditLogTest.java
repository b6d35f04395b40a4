package io.gmq.security;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.GmqException;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The audit trail reaches the {@code gmq.audit} logger at INFO. The test binding (slf4j-simple)
 * writes to whatever {@code System.err} is at the time of the call, so the test captures that.
 */
class AuditLogTest {

    @Test
    void denialIsLoggedAtInfoOnTheAuditLogger() {
        Authorizer authorizer = Authorizer.fromAcls(List.of());

        String log = captureStderr(
                () -> authorizer.allowed(new Principal("alice"), ResourceType.TOPIC, "orders", Operation.PUBLISH));

        assertTrue(
                log.contains("INFO gmq.audit - authorization denied: principal=alice operation=PUBLISH"
                        + " resource=TOPIC:orders"),
                log);
        assertTrue(log.contains("no ACL entry allows it"), log);
    }

    @Test
    void authenticationFailureIsLoggedWithoutTheToken() {
        StaticTokenAuthenticator authenticator = StaticTokenAuthenticator.of(Map.of("right", new Principal("alice")));

        String log = captureStderr(
                () -> assertThrows(GmqException.class, () -> authenticator.authenticate("guessed-wrong")));

        assertTrue(log.contains("INFO gmq.audit - authentication failed: unknown token"), log);
        assertFalse(log.contains("guessed-wrong"), log);
    }

    private static String captureStderr(Runnable action) {
        PrintStream original = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }
}
