package io.gmq.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Token and ACL files that follow their file: what a reload applies, and what it keeps. */
class ReloadingSecurityFilesTest {
    @TempDir
    Path dir;

    private static void replace(Path file, String content) throws IOException {
        Path tmp = Files.writeString(file.resolveSibling(file.getFileName() + ".tmp"), content);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        }
    }

    @Test
    void aRemovedTokenStopsAuthenticatingAfterTheReload() throws Exception {
        Path file = Files.writeString(dir.resolve("tokens"), "t-alice alice\nt-bob bob\n");
        ReloadingTokenAuthenticator tokens = ReloadingTokenAuthenticator.load(file);
        assertEquals(new Principal("alice"), tokens.authenticate("t-alice"));

        replace(file, "t-bob bob\n");
        assertTrue(tokens.reloadIfChanged());

        GmqException e = assertThrows(GmqException.class, () -> tokens.authenticate("t-alice"));
        assertEquals(ErrorCode.UNAUTHENTICATED, e.code());
        assertEquals(new Principal("bob"), tokens.authenticate("t-bob"));
        assertEquals(Optional.empty(), tokens.principalOfDigest(StaticTokenAuthenticator.tokenDigest("t-alice")));
        assertEquals(
                Optional.of(new Principal("bob")),
                tokens.principalOfDigest(StaticTokenAuthenticator.tokenDigest("t-bob")));
    }

    @Test
    void unchangedContentIsNotReappliedAndListenersHearOnlyRealChanges() throws Exception {
        Path file = Files.writeString(dir.resolve("acls"), "allow alice topic:a publish\n");
        ReloadingAclAuthorizer acls = ReloadingAclAuthorizer.load(file);
        AtomicInteger heard = new AtomicInteger();
        Reloadable.Registration registration = acls.onReload(heard::incrementAndGet);

        replace(file, "allow alice topic:a publish\n"); // same bytes, new modification time
        assertFalse(acls.reloadIfChanged());
        replace(file, "allow alice topic:b publish\n"); // same size, different content
        assertTrue(acls.reloadIfChanged());
        assertEquals(1, heard.get());
        assertTrue(acls.allowed(new Principal("alice"), ResourceType.TOPIC, "b", Operation.PUBLISH));
        assertFalse(acls.allowed(new Principal("alice"), ResourceType.TOPIC, "a", Operation.PUBLISH));

        registration.close();
        replace(file, "allow alice topic:c publish\n");
        assertTrue(acls.reloadIfChanged());
        assertEquals(1, heard.get(), "a closed registration is not called");
    }

    @Test
    void aMalformedEditFailsWithItsLineAndKeepsTheVersionInForce() throws Exception {
        Path file = Files.writeString(dir.resolve("tokens"), "t-alice alice\n");
        ReloadingTokenAuthenticator tokens = ReloadingTokenAuthenticator.load(file);

        replace(file, "t-alice alice\nt-mallory mallory extra-field\n");
        GmqException e = assertThrows(GmqException.class, tokens::reloadIfChanged);
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains(file + " line 2"), e.getMessage());
        assertFalse(e.getMessage().contains("t-mallory"), "tokens never appear in errors");
        assertEquals(new Principal("alice"), tokens.authenticate("t-alice"));

        Files.delete(file);
        GmqException gone = assertThrows(GmqException.class, tokens::reloadIfChanged);
        assertTrue(gone.getMessage().contains("cannot read token file"), gone.getMessage());
        assertEquals(new Principal("alice"), tokens.authenticate("t-alice"), "a deleted file keeps the tokens too");
    }

    @Test
    void theWatcherAppliesEditsWithoutBeingAsked() throws Exception {
        Path file = Files.writeString(dir.resolve("acls"), "allow alice topic:a publish\n");
        ReloadingAclAuthorizer acls = ReloadingAclAuthorizer.load(file);
        Principal alice = new Principal("alice");
        try (SecurityFileWatcher watcher = SecurityFileWatcher.start(List.of(acls), Duration.ofMillis(20))) {
            replace(file, "allow alice topic:z publish\n");
            await(() -> acls.allowed(alice, ResourceType.TOPIC, "z", Operation.PUBLISH));

            replace(file, "allow alice topic:y publsh\n"); // broken: if polled, logged and not applied
            replace(file, "allow alice topic:x publish\n");
            await(() -> acls.allowed(alice, ResourceType.TOPIC, "x", Operation.PUBLISH));
            assertFalse(watcher.reloadNow(), "already applied");
        }
    }

    @Test
    void reloadNowTriesEveryFileAndReportsTheFirstFailure() throws Exception {
        Path tokenFile = Files.writeString(dir.resolve("tokens"), "t-alice alice\n");
        Path aclFile = Files.writeString(dir.resolve("acls"), "allow alice topic:a publish\n");
        ReloadingTokenAuthenticator tokens = ReloadingTokenAuthenticator.load(tokenFile);
        ReloadingAclAuthorizer acls = ReloadingAclAuthorizer.load(aclFile);
        try (SecurityFileWatcher watcher = SecurityFileWatcher.start(List.of(tokens, acls), Duration.ZERO)) {
            replace(tokenFile, "only-one-field\n");
            replace(aclFile, "allow alice topic:b publish\n");
            GmqException e = assertThrows(GmqException.class, watcher::reloadNow);
            assertTrue(e.getMessage().contains("token file"), e.getMessage());
            assertTrue(acls.allowed(new Principal("alice"), ResourceType.TOPIC, "b", Operation.PUBLISH));
        }
    }
}
