package io.gmq.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Random chains of joins, heartbeats sent and answered out of order, answers for other member
 * ids, fencing, closing and clock advances over the pure {@link MemberLease}, checked after every
 * step against a simple model and the lease's named invariants.
 */
class MemberLeasePropertiesTest {
    private static final long MILLI = 1_000_000L;
    private static final long SESSION_NANOS = 1_000 * MILLI;

    @Property(tries = 300)
    void leaseInvariantsHoldUnderRandomMembershipEvents(@ForAll("chains") ActionChain<Harness> chain) {
        chain.withInvariant("agrees with the model", Harness::checkModel)
                .withInvariant(
                        "valid only while joined, within a session timeout of the last answered send",
                        Harness::checkValidity)
                .withInvariant("fenced, unjoined or closed is never valid", Harness::checkNeverValidUnlessJoined)
                .withInvariant("lease start and generation never move back for one member id", Harness::checkMonotonic)
                .withInvariant("closed is terminal", Harness::checkClosedTerminal)
                .run();
    }

    @Provide
    Arbitrary<ActionChain<Harness>> chains() {
        return ActionChain.startWith(Harness::new)
                .withAction(2, new Join())
                .withAction(5, new SendHeartbeat())
                .withAction(5, new AnswerHeartbeat())
                .withAction(1, new AnswerForeign())
                .withAction(2, new Fence())
                .withAction(4, new Advance())
                .withAction(1, new Close())
                .withMaxTransformations(60);
    }

    /** The lease under test, a clock, the heartbeats in flight and the model they are checked against. */
    static final class Harness {
        final MemberLease lease = new MemberLease(SESSION_NANOS);
        long now = 1_000 * MILLI;
        int storageGeneration = 1;
        int nextId;
        final List<long[]> inFlight = new ArrayList<>(); // {member number, sent nanos}

        // model
        MemberLease.State state = MemberLease.State.UNJOINED;
        String memberId;
        int generation;
        long leaseFrom;

        // the previous step, for the monotonic and terminal checks
        String prevId;
        int prevGeneration;
        long prevLeaseFrom;
        MemberLease.State prevState = MemberLease.State.UNJOINED;

        void remember() {
            prevId = lease.memberId();
            prevGeneration = lease.generation();
            prevLeaseFrom = lease.leaseFromNanos();
            prevState = lease.state();
        }

        void join(long latencyMillis) {
            remember();
            long sent = now;
            now += latencyMillis * MILLI;
            String id = "member-" + (++nextId);
            storageGeneration++;
            boolean took = lease.joined(id, storageGeneration, sent);
            assertEquals(state != MemberLease.State.CLOSED, took, "a join is taken unless closed");
            if (state != MemberLease.State.CLOSED) {
                state = MemberLease.State.JOINED;
                memberId = id;
                generation = storageGeneration;
                leaseFrom = sent;
            }
        }

        void sendHeartbeat() {
            remember();
            if (memberId != null) {
                inFlight.add(new long[] {Long.parseLong(memberId.substring("member-".length())), now});
            }
        }

        void answerHeartbeat(int pick, int generationBump) {
            remember();
            long[] h = inFlight.remove(pick % inFlight.size());
            String id = "member-" + h[0];
            storageGeneration += generationBump;
            boolean took = lease.heartbeatAnswered(id, storageGeneration, h[1]);
            boolean current =
                    (state == MemberLease.State.JOINED || state == MemberLease.State.FENCED) && id.equals(memberId);
            assertEquals(current, took, "an answer is taken exactly when it is for the current member id");
            if (current) {
                state = MemberLease.State.JOINED;
                leaseFrom = Math.max(leaseFrom, h[1]);
                generation = Math.max(generation, storageGeneration);
            }
        }

        void answerForeign() {
            remember();
            assertFalse(lease.heartbeatAnswered("stranger", storageGeneration + 10, now), "a foreign answer");
            assertFalse(lease.assignmentAnswered("stranger", storageGeneration + 10), "a foreign assignment");
        }

        void fence() {
            remember();
            lease.fenced();
            if (state == MemberLease.State.JOINED) {
                state = MemberLease.State.FENCED;
            }
        }

        void advance(long millis) {
            remember();
            now += millis * MILLI;
        }

        void close() {
            remember();
            lease.close();
            state = MemberLease.State.CLOSED;
        }

        void checkModel() {
            assertEquals(state, lease.state(), "state");
            assertEquals(memberId, lease.memberId(), "member id");
            if (memberId != null) {
                assertEquals(generation, lease.generation(), "generation");
                assertEquals(leaseFrom, lease.leaseFromNanos(), "lease start");
            }
        }

        void checkValidity() {
            for (long t : new long[] {now, leaseFrom, leaseFrom + SESSION_NANOS - 1, leaseFrom + SESSION_NANOS}) {
                boolean expected = state == MemberLease.State.JOINED && t - leaseFrom < SESSION_NANOS;
                assertEquals(expected, lease.valid(t), "valid at " + t + " (lease from " + leaseFrom + ")");
            }
            if (state == MemberLease.State.JOINED) {
                assertTrue(lease.valid(leaseFrom), "valid right at the answered send");
            }
        }

        void checkNeverValidUnlessJoined() {
            if (lease.state() != MemberLease.State.JOINED) {
                for (long t : new long[] {now, lease.leaseFromNanos(), lease.leaseFromNanos() + 1}) {
                    assertFalse(lease.valid(t), lease.state() + " must not be valid at " + t);
                }
            }
        }

        void checkMonotonic() {
            if (prevId != null && prevId.equals(lease.memberId())) {
                assertTrue(lease.leaseFromNanos() - prevLeaseFrom >= 0, "lease start moved back");
                assertTrue(lease.generation() >= prevGeneration, "generation moved back");
            }
        }

        void checkClosedTerminal() {
            if (prevState == MemberLease.State.CLOSED) {
                assertEquals(MemberLease.State.CLOSED, lease.state(), "state after close");
                assertEquals(prevId, lease.memberId(), "member id after close");
                assertEquals(prevGeneration, lease.generation(), "generation after close");
                assertEquals(prevLeaseFrom, lease.leaseFromNanos(), "lease start after close");
            }
        }
    }

    static final class Join implements Action.Independent<Harness> {
        @Override
        public Arbitrary<Transformer<Harness>> transformer() {
            return Arbitraries.longs()
                    .between(0, 300)
                    .map(ms -> Transformer.mutate("join, answered after " + ms + " ms", h -> h.join(ms)));
        }
    }

    static final class SendHeartbeat implements Action.Independent<Harness> {
        @Override
        public Arbitrary<Transformer<Harness>> transformer() {
            return Arbitraries.just(Transformer.mutate("send heartbeat", Harness::sendHeartbeat));
        }
    }

    static final class AnswerHeartbeat implements Action.Dependent<Harness> {
        @Override
        public boolean precondition(Harness h) {
            return !h.inFlight.isEmpty();
        }

        @Override
        public Arbitrary<Transformer<Harness>> transformer(Harness h) {
            return Combinators.combine(
                            Arbitraries.integers().between(0, 7),
                            Arbitraries.integers().between(0, 2))
                    .as((pick, bump) -> Transformer.mutate(
                            "answer heartbeat #" + pick + ", generation +" + bump, s -> s.answerHeartbeat(pick, bump)));
        }
    }

    static final class AnswerForeign implements Action.Independent<Harness> {
        @Override
        public Arbitrary<Transformer<Harness>> transformer() {
            return Arbitraries.just(Transformer.mutate("answer for another member id", Harness::answerForeign));
        }
    }

    static final class Fence implements Action.Independent<Harness> {
        @Override
        public Arbitrary<Transformer<Harness>> transformer() {
            return Arbitraries.just(Transformer.mutate("fenced", Harness::fence));
        }
    }

    static final class Advance implements Action.Independent<Harness> {
        @Override
        public Arbitrary<Transformer<Harness>> transformer() {
            return Arbitraries.longs()
                    .between(1, 1_500)
                    .map(ms -> Transformer.mutate("advance " + ms + " ms", h -> h.advance(ms)));
        }
    }

    static final class Close implements Action.Independent<Harness> {
        @Override
        public Arbitrary<Transformer<Harness>> transformer() {
            return Arbitraries.just(Transformer.mutate("close", Harness::close));
        }
    }
}
