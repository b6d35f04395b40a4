package io.gmq.internal.group;

import io.gmq.TopicPartition;
import java.util.ArrayList;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * Random chains of joins, leaves, heartbeats, commits, clock advances with expiry, topic growth,
 * creation and deletion over the pure {@link GroupState}, with the protocol's invariants checked
 * after every step (see {@link GroupHarness#checkInvariants()}) and balance/completeness checked
 * whenever the chain lets the group settle.
 */
class GroupStatePropertiesTest {

    @Property(tries = 200)
    void invariantsHoldUnderRandomMembershipChurn(@ForAll("chains") ActionChain<GroupHarness> chain) {
        chain.withInvariant("protocol invariants", GroupHarness::checkInvariants)
                .run();
    }

    @Provide
    Arbitrary<ActionChain<GroupHarness>> chains() {
        return ActionChain.startWith(GroupHarness::new)
                .withAction(3, new Join())
                .withAction(6, new Heartbeat())
                .withAction(1, new Leave())
                .withAction(2, new AdvanceAndExpire())
                .withAction(1, new GrowTopic())
                .withAction(1, new DeleteTopic())
                .withAction(3, new Commit())
                .withAction(2, new QuiesceAndCheckSettled())
                .withMaxTransformations(60);
    }

    private static Arbitrary<String> member(GroupHarness h) {
        return Arbitraries.of(new ArrayList<>(h.delivering.keySet()));
    }

    static final class Join implements Action.Independent<GroupHarness> {
        @Override
        public Arbitrary<Transformer<GroupHarness>> transformer() {
            Arbitrary<Set<String>> topics =
                    Arbitraries.of(GroupHarness.TOPICS).set().ofMinSize(1);
            Arbitrary<Long> timeout = Arbitraries.of(100L, 1_000L);
            return Combinators.combine(topics, timeout)
                    .as((t, ms) -> Transformer.mutate("join " + t + " timeout " + ms, h -> h.join(t, ms)));
        }
    }

    static final class Heartbeat implements Action.Dependent<GroupHarness> {
        @Override
        public boolean precondition(GroupHarness h) {
            return !h.delivering.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<GroupHarness>> transformer(GroupHarness h) {
            return member(h).map(id -> Transformer.mutate("heartbeat " + id, s -> s.heartbeat(id)));
        }
    }

    static final class Leave implements Action.Dependent<GroupHarness> {
        @Override
        public boolean precondition(GroupHarness h) {
            return !h.delivering.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<GroupHarness>> transformer(GroupHarness h) {
            return member(h).map(id -> Transformer.mutate("leave " + id, s -> s.leave(id)));
        }
    }

    static final class AdvanceAndExpire implements Action.Independent<GroupHarness> {
        @Override
        public Arbitrary<Transformer<GroupHarness>> transformer() {
            return Arbitraries.longs()
                    .between(1, 600)
                    .map(ms -> Transformer.mutate("advance " + ms + " ms and expire", h -> h.advanceAndExpire(ms)));
        }
    }

    static final class GrowTopic implements Action.Independent<GroupHarness> {
        @Override
        public Arbitrary<Transformer<GroupHarness>> transformer() {
            return Combinators.combine(
                            Arbitraries.of(GroupHarness.TOPICS),
                            Arbitraries.integers().between(1, 3))
                    .as((t, by) -> Transformer.mutate("grow " + t + " by " + by, h -> h.growTopic(t, by)));
        }
    }

    static final class DeleteTopic implements Action.Independent<GroupHarness> {
        @Override
        public Arbitrary<Transformer<GroupHarness>> transformer() {
            return Arbitraries.of(GroupHarness.TOPICS)
                    .map(t -> Transformer.mutate("delete topic " + t, h -> h.deleteTopic(t)));
        }
    }

    static final class Commit implements Action.Dependent<GroupHarness> {
        @Override
        public boolean precondition(GroupHarness h) {
            return !h.delivering.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<GroupHarness>> transformer(GroupHarness h) {
            Arbitrary<TopicPartition> foreign = Combinators.combine(
                            Arbitraries.of(GroupHarness.TOPICS),
                            Arbitraries.integers().between(0, 9))
                    .as(TopicPartition::new);
            return Combinators.combine(member(h), Arbitraries.longs().between(0, 1_000), foreign)
                    .as((id, offset, tp) -> Transformer.mutate(
                            "commit " + id + " at " + offset + " (+ " + tp + ")", s -> s.commit(id, offset, tp)));
        }
    }

    static final class QuiesceAndCheckSettled implements Action.Independent<GroupHarness> {
        @Override
        public Arbitrary<Transformer<GroupHarness>> transformer() {
            return Arbitraries.just(Transformer.mutate("quiesce", h -> {
                h.quiesce(3);
                h.checkSettled();
                int generation = h.state.generation();
                h.quiesce(1);
                org.junit.jupiter.api.Assertions.assertEquals(
                        generation, h.state.generation(), "a settled group keeps its generation");
            }));
        }
    }
}
