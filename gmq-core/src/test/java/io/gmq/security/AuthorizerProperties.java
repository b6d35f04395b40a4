package io.gmq.security;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

class AuthorizerProperties {
    private static final Principal ALICE = new Principal("alice");
    private static final String TOPIC = "orders.eu";

    @Property(tries = 300)
    void matchingDenyBeatsAnySetOfAllows(
            @ForAll("entries") List<AclEntry> allows,
            @ForAll("denyMatchingAliceOrders") AclEntry deny,
            @ForAll long shuffleSeed) {
        List<AclEntry> entries = new ArrayList<>(allows);
        entries.add(allowAliceOrders()); // at least one allow surely matches
        entries.add(deny);
        Collections.shuffle(entries, new java.util.Random(shuffleSeed));

        assertFalse(Authorizer.fromAcls(entries).allowed(ALICE, ResourceType.TOPIC, TOPIC, Operation.PUBLISH));
    }

    @Property(tries = 300)
    void withoutDeniesARequestIsAllowedExactlyWhenSomeEntryMatches(
            @ForAll("entries") List<AclEntry> allows,
            @ForAll("principals") String who,
            @ForAll ResourceType type,
            @ForAll("names") String name,
            @ForAll("operations") Operation op) {
        Principal principal = new Principal(who.equals("*") ? "carol" : who);
        boolean expected = allows.stream().anyMatch(e -> e.matches(principal, type, name, op));

        boolean actual = Authorizer.fromAcls(allows).allowed(principal, type, name, op);

        assertTrue(expected == actual, "expected " + expected + " for " + allows);
    }

    private static AclEntry allowAliceOrders() {
        return new AclEntry(
                "alice", ResourceType.TOPIC, PatternType.LITERAL, TOPIC, Operation.PUBLISH, Permission.ALLOW);
    }

    @Provide
    Arbitrary<List<AclEntry>> entries() {
        Arbitrary<AclEntry> allow = Combinators.combine(
                        principals(), Arbitraries.of(ResourceType.class), names(), Arbitraries.of(Operation.class))
                .as((who, type, name, op) -> new AclEntry(who, type, PatternType.PREFIXED, name, op, Permission.ALLOW));
        Arbitrary<AclEntry> literal = Combinators.combine(
                        principals(),
                        Arbitraries.of(ResourceType.class),
                        names().filter(n -> !n.isEmpty()),
                        Arbitraries.of(Operation.class))
                .as((who, type, name, op) -> new AclEntry(who, type, PatternType.LITERAL, name, op, Permission.ALLOW));
        return Arbitraries.oneOf(allow, literal).list().ofMaxSize(20);
    }

    /** Denies that match alice publishing to orders.eu, in every way an entry can match. */
    @Provide
    Arbitrary<AclEntry> denyMatchingAliceOrders() {
        Arbitrary<String> who = Arbitraries.of("alice", "*");
        Arbitrary<Operation> op = Arbitraries.of(Operation.PUBLISH, Operation.ALL);
        Arbitrary<Integer> prefixLength = Arbitraries.integers().between(0, TOPIC.length());
        Arbitrary<Boolean> literal = Arbitraries.of(true, false);
        return Combinators.combine(who, op, prefixLength, literal)
                .as((w, o, n, isLiteral) -> isLiteral
                        ? new AclEntry(w, ResourceType.TOPIC, PatternType.LITERAL, TOPIC, o, Permission.DENY)
                        : new AclEntry(
                                w,
                                ResourceType.TOPIC,
                                PatternType.PREFIXED,
                                TOPIC.substring(0, n),
                                o,
                                Permission.DENY));
    }

    @Provide
    Arbitrary<String> principals() {
        return Arbitraries.of("alice", "bob", "*");
    }

    @Provide
    Arbitrary<String> names() {
        return Arbitraries.of("", "o", "orders", "orders.", "orders.eu", "orders.us", "billing");
    }

    @Provide
    Arbitrary<Operation> operations() {
        return Arbitraries.of(Operation.class).filter(op -> op != Operation.ALL);
    }
}
