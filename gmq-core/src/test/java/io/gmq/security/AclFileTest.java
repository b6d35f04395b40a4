package io.gmq.security;

import static io.gmq.security.Operation.ADMIN;
import static io.gmq.security.Operation.DELETE;
import static io.gmq.security.Operation.DESCRIBE;
import static io.gmq.security.Operation.PUBLISH;
import static io.gmq.security.PatternType.LITERAL;
import static io.gmq.security.PatternType.PREFIXED;
import static io.gmq.security.Permission.ALLOW;
import static io.gmq.security.Permission.DENY;
import static io.gmq.security.ResourceType.CLUSTER;
import static io.gmq.security.ResourceType.TOPIC;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AclFileTest {

    @Test
    void loadsEveryFormOfTheDocumentedFormat(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("acl.txt");
        Files.writeString(
                file,
                String.join(
                        "\n",
                        "# permission principal resource operations",
                        "",
                        "allow alice topic:orders publish",
                        "ALLOW   alice\ttopic:orders.*   publish,describe",
                        "deny * topic:* delete",
                        "allow ops cluster admin",
                        "  # indented comment"));

        List<AclEntry> entries = AclFile.load(file);

        assertEquals(
                List.of(
                        entry("alice", TOPIC, LITERAL, "orders", PUBLISH, ALLOW),
                        entry("alice", TOPIC, PREFIXED, "orders.", PUBLISH, ALLOW),
                        entry("alice", TOPIC, PREFIXED, "orders.", DESCRIBE, ALLOW),
                        entry("*", TOPIC, PREFIXED, "", DELETE, DENY),
                        entry("ops", CLUSTER, PREFIXED, "", ADMIN, ALLOW)),
                entries);
    }

    @Test
    void loadedEntriesAuthorizeAsWritten() {
        Authorizer authorizer = Authorizer.fromAcls(AclFile.parse(
                List.of(
                        "allow alice topic:orders.* publish",
                        "deny alice topic:orders.secret publish",
                        "allow ops cluster admin"),
                "test"));

        assertTrue(authorizer.allowed(new Principal("alice"), ResourceType.TOPIC, "orders.eu", Operation.PUBLISH));
        assertFalse(authorizer.allowed(new Principal("alice"), ResourceType.TOPIC, "orders.secret", Operation.PUBLISH));
        assertTrue(authorizer.allowed(new Principal("ops"), ResourceType.CLUSTER, "cluster", Operation.ADMIN));
    }

    @Test
    void wrongFieldCountNamesTheLine() {
        assertLoadError(
                List.of("# header", "allow alice topic:orders"),
                "test line 2: expected 'allow|deny PRINCIPAL RESOURCE OPERATIONS', got 3 field(s)");
    }

    @Test
    void unknownKeywordsListTheAlternatives() {
        assertLoadError(
                List.of("permit alice topic:orders publish"),
                "line 1: unknown permission 'permit', expected one of: allow, deny");
        assertLoadError(List.of("allow alice queue:orders publish"), "line 1: unknown resource type 'queue'");
        assertLoadError(
                List.of("", "allow alice topic:orders pub"),
                "line 2: unknown operation 'pub', expected one of: publish, consume");
        assertLoadError(List.of("allow alice topic:orders publish,"), "line 1: unknown operation ''");
    }

    @Test
    void misplacedWildcardAndMissingNamesAreRejected() {
        assertLoadError(List.of("allow alice topic:a*b publish"), "line 1: '*' is only allowed at the end");
        assertLoadError(List.of("allow alice topic publish"), "line 1: resource 'topic' needs a name");
        assertLoadError(List.of("allow alice topic: publish"), "line 1: resource 'topic:' has an empty name");
        assertLoadError(List.of("allow al*ce topic:x publish"), "line 1: principal name 'al*ce' is invalid");
    }

    @Test
    void unreadableFileIsAnInvalidArgument(@TempDir Path dir) {
        GmqException e = assertThrows(GmqException.class, () -> AclFile.load(dir.resolve("missing.txt")));

        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().startsWith("cannot read ACL file"), e.getMessage());
    }

    private static AclEntry entry(
            String who, ResourceType type, PatternType pattern, String name, Operation op, Permission permission) {
        return new AclEntry(who, type, pattern, name, op, permission);
    }

    private static void assertLoadError(List<String> lines, String expectedFragment) {
        GmqException e = assertThrows(GmqException.class, () -> AclFile.parse(lines, "test"));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains(expectedFragment), e.getMessage());
    }
}
