package io.gmq.security;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuthorizerTest {
    private static final Principal ALICE = new Principal("alice");
    private static final Principal BOB = new Principal("bob");

    private static AclEntry allow(String who, ResourceType type, PatternType pattern, String name, Operation op) {
        return new AclEntry(who, type, pattern, name, op, Permission.ALLOW);
    }

    @Test
    void literalEntryMatchesOnlyTheExactName() {
        Authorizer authorizer = Authorizer.fromAcls(
                List.of(allow("alice", ResourceType.TOPIC, PatternType.LITERAL, "orders", Operation.PUBLISH)));

        assertTrue(authorizer.allowed(ALICE, ResourceType.TOPIC, "orders", Operation.PUBLISH));
        assertFalse(authorizer.allowed(ALICE, ResourceType.TOPIC, "orders.eu", Operation.PUBLISH));
        assertFalse(authorizer.allowed(ALICE, ResourceType.TOPIC, "order", Operation.PUBLISH));
    }

    @Test
    void prefixedEntryMatchesEveryNameStartingWithThePrefix() {
        Authorizer authorizer = Authorizer.fromAcls(
                List.of(allow("alice", ResourceType.TOPIC, PatternType.PREFIXED, "orders.", Operation.PUBLISH)));

        assertTrue(authorizer.allowed(ALICE, ResourceType.TOPIC, "orders.eu", Operation.PUBLISH));
        assertTrue(authorizer.allowed(ALICE, ResourceType.TOPIC, "orders.", Operation.PUBLISH));
        assertFalse(authorizer.allowed(ALICE, ResourceType.TOPIC, "orders", Operation.PUBLISH));
        assertFalse(authorizer.allowed(ALICE, ResourceType.TOPIC, "xorders.eu", Operation.PUBLISH));
    }

    @Test
    void entryMatchesOnlyItsResourceTypeAndOperation() {
        Authorizer authorizer = Authorizer.fromAcls(
                List.of(allow("alice", ResourceType.TOPIC, PatternType.LITERAL, "orders", Operation.PUBLISH)));

        assertFalse(authorizer.allowed(ALICE, ResourceType.GROUP, "orders", Operation.PUBLISH));
        assertFalse(authorizer.allowed(ALICE, ResourceType.TOPIC, "orders", Operation.CONSUME));
        assertFalse(authorizer.allowed(ALICE, ResourceType.TOPIC, "orders", Operation.DESCRIBE));
    }

    @Test
    void allOperationMatchesEveryOperation() {
        Authorizer authorizer = Authorizer.fromAcls(
                List.of(allow("alice", ResourceType.GROUP, PatternType.LITERAL, "billing", Operation.ALL)));

        for (Operation op : Operation.values()) {
            if (op != Operation.ALL) {
                assertTrue(authorizer.allowed(ALICE, ResourceType.GROUP, "billing", op), op.name());
            }
        }
    }

    @Test
    void wildcardPrincipalMatchesEveryPrincipal() {
        Authorizer authorizer = Authorizer.fromAcls(
                List.of(allow("*", ResourceType.TOPIC, PatternType.PREFIXED, "public.", Operation.CONSUME)));

        assertTrue(authorizer.allowed(ALICE, ResourceType.TOPIC, "public.news", Operation.CONSUME));
        assertTrue(authorizer.allowed(BOB, ResourceType.TOPIC, "public.news", Operation.CONSUME));
        assertFalse(authorizer.allowed(BOB, ResourceType.TOPIC, "private.news", Operation.CONSUME));
    }

    @Test
    void namedEntryDoesNotMatchOtherPrincipals() {
        Authorizer authorizer = Authorizer.fromAcls(
                List.of(allow("alice", ResourceType.TOPIC, PatternType.LITERAL, "orders", Operation.PUBLISH)));

        assertFalse(authorizer.allowed(BOB, ResourceType.TOPIC, "orders", Operation.PUBLISH));
    }

    @Test
    void nothingIsAllowedWithoutAMatchingEntry() {
        Authorizer authorizer = Authorizer.fromAcls(List.of());

        for (ResourceType type : ResourceType.values()) {
            assertFalse(authorizer.allowed(ALICE, type, "anything", Operation.DESCRIBE), type.name());
        }
    }

    @Test
    void wildcardDenyBeatsNamedAllow() {
        Authorizer authorizer = Authorizer.fromAcls(List.of(
                allow("alice", ResourceType.TOPIC, PatternType.LITERAL, "orders", Operation.PUBLISH),
                new AclEntry("*", ResourceType.TOPIC, PatternType.PREFIXED, "", Operation.ALL, Permission.DENY)));

        assertFalse(authorizer.allowed(ALICE, ResourceType.TOPIC, "orders", Operation.PUBLISH));
    }

    @Test
    void allowAllAllowsEverything() {
        Authorizer authorizer = Authorizer.allowAll();

        assertTrue(authorizer.allowed(ALICE, ResourceType.CLUSTER, "cluster", Operation.ADMIN));
        assertDoesNotThrow(() -> authorizer.check(BOB, ResourceType.TOPIC, "orders", Operation.DELETE));
    }

    @Test
    void checkThrowsPermissionDeniedNamingPrincipalOperationAndResource() {
        Authorizer authorizer = Authorizer.fromAcls(List.of());

        GmqException e = assertThrows(
                GmqException.class, () -> authorizer.check(ALICE, ResourceType.TOPIC, "orders", Operation.PUBLISH));

        assertEquals(ErrorCode.PERMISSION_DENIED, e.code());
        assertTrue(e.getMessage().startsWith("principal 'alice' may not PUBLISH to topic 'orders'"), e.getMessage());
        assertTrue(e.getMessage().contains("allow alice topic:orders publish"), e.getMessage());
    }

    @Test
    void checkPassesWhenAllowed() {
        Authorizer authorizer = Authorizer.fromAcls(
                List.of(allow("bob", ResourceType.GROUP, PatternType.LITERAL, "billing", Operation.CONSUME)));

        assertDoesNotThrow(() -> authorizer.check(BOB, ResourceType.GROUP, "billing", Operation.CONSUME));
    }

    @Test
    void requestForTheAllWildcardIsRejected() {
        Authorizer authorizer = Authorizer.fromAcls(List.of());

        assertThrows(
                IllegalArgumentException.class,
                () -> authorizer.allowed(ALICE, ResourceType.TOPIC, "orders", Operation.ALL));
    }

    @Test
    void principalNamesAreValidated() {
        assertEquals(
                ErrorCode.INVALID_ARGUMENT,
                assertThrows(GmqException.class, () -> new Principal("*")).code());
        assertThrows(GmqException.class, () -> new Principal("two words"));
        assertThrows(GmqException.class, () -> new Principal(""));
    }
}
