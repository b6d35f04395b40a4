package io.gmq.internal.group;

import java.util.ArrayList;
import java.util.List;
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
 * Random chains of static and dynamic joins, static rejoins (after a detach, or while the old
 * process still runs), detaches, heartbeats, leaves, clock advances with expiry, fenced members'
 * calls and stale-generation commits over the pure {@link GroupState}. {@link StaticMembershipModel}
 * checks at each step: a static rejoin changes no slot (under the id mapping) and keeps the
 * generation; the older holder of an instance id is fenced with ALREADY_EXISTS naming it;
 * commits older than a partition's acquisition are refused; and after every step no partition is
 * delivered by two clients and no instance id is held twice.
 */
class StaticMembershipPropertiesTest {

    @Property(tries = 300)
    void staticMembershipKeepsAssignmentsAndFencesStaleMembers(
            @ForAll("chains") ActionChain<StaticMembershipModel> chain) {
        chain.withInvariant("static membership invariants", StaticMembershipModel::checkInvariants)
                .run();
    }

    @Provide
    Arbitrary<ActionChain<StaticMembershipModel>> chains() {
        return ActionChain.startWith(StaticMembershipModel::new)
                .withAction(3, new JoinStatic())
                .withAction(1, new JoinDynamic())
                .withAction(6, new Heartbeat())
                .withAction(2, new Detach())
                .withAction(1, new Leave())
                .withAction(2, new AdvanceAndExpire())
                .withAction(2, new FencedMemberCalls())
                .withAction(2, new CommitStaleAndCurrent())
                .withMaxTransformations(60);
    }

    private static Arbitrary<String> running(StaticMembershipModel m) {
        return Arbitraries.of(new ArrayList<>(m.delivering.keySet()));
    }

    static final class JoinStatic implements Action.Independent<StaticMembershipModel> {
        @Override
        public Arbitrary<Transformer<StaticMembershipModel>> transformer() {
            return Arbitraries.of(StaticMembershipModel.INSTANCES)
                    .map(i -> Transformer.mutate("join static " + i, m -> m.joinStatic(i)));
        }
    }

    static final class JoinDynamic implements Action.Independent<StaticMembershipModel> {
        @Override
        public Arbitrary<Transformer<StaticMembershipModel>> transformer() {
            return Arbitraries.of("a", "b")
                    .set()
                    .ofMinSize(1)
                    .map(t -> Transformer.mutate("join dynamic " + t, m -> m.joinDynamic(t)));
        }
    }

    static final class Heartbeat implements Action.Dependent<StaticMembershipModel> {
        @Override
        public boolean precondition(StaticMembershipModel m) {
            return !m.delivering.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<StaticMembershipModel>> transformer(StaticMembershipModel m) {
            return running(m).map(id -> Transformer.mutate("heartbeat " + id, s -> s.heartbeat(id)));
        }
    }

    static final class Detach implements Action.Dependent<StaticMembershipModel> {
        @Override
        public boolean precondition(StaticMembershipModel m) {
            return !m.staticRunning().isEmpty();
        }

        @Override
        public Arbitrary<Transformer<StaticMembershipModel>> transformer(StaticMembershipModel m) {
            return Arbitraries.of(m.staticRunning()).map(id -> Transformer.mutate("detach " + id, s -> s.detach(id)));
        }
    }

    static final class Leave implements Action.Dependent<StaticMembershipModel> {
        @Override
        public boolean precondition(StaticMembershipModel m) {
            return !m.delivering.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<StaticMembershipModel>> transformer(StaticMembershipModel m) {
            return running(m).map(id -> Transformer.mutate("leave " + id, s -> s.leave(id)));
        }
    }

    static final class AdvanceAndExpire implements Action.Independent<StaticMembershipModel> {
        @Override
        public Arbitrary<Transformer<StaticMembershipModel>> transformer() {
            return Arbitraries.longs()
                    .between(1, 700)
                    .map(ms -> Transformer.mutate("advance " + ms + " ms and expire", m -> m.advanceAndExpire(ms)));
        }
    }

    static final class FencedMemberCalls implements Action.Dependent<StaticMembershipModel> {
        @Override
        public boolean precondition(StaticMembershipModel m) {
            return !m.fenced.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<StaticMembershipModel>> transformer(StaticMembershipModel m) {
            List<String> ids = new ArrayList<>(m.fenced.keySet());
            return Arbitraries.of(ids)
                    .map(id -> Transformer.mutate("calls of fenced " + id, s -> s.fencedMemberCalls(id)));
        }
    }

    static final class CommitStaleAndCurrent implements Action.Dependent<StaticMembershipModel> {
        @Override
        public boolean precondition(StaticMembershipModel m) {
            return !m.delivering.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<StaticMembershipModel>> transformer(StaticMembershipModel m) {
            return Combinators.combine(running(m), Arbitraries.longs().between(0, 1_000))
                    .as((id, offset) -> Transformer.mutate(
                            "commit stale and current " + id + " at " + offset,
                            s -> s.commitStaleAndCurrent(id, offset)));
        }
    }
}
