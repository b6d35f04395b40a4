package io.gmq.internal.share;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.storage.ShareAck;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link SharePartition} against a simple model, for any sequence of acquisitions, accepts,
 * releases (with and without delay), rejects, renews, time passing (lock expiry), members
 * leaving and restarts (start offset persisted, everything else lost), with the broker's rule
 * that a record acquired more than {@link #MAX_DELIVERIES} times is dead-lettered (rejected).
 *
 * <p>Named invariants, checked after every step:
 * <ul>
 *   <li>ONE_HOLDER: an acquisition never hands out a record another member holds under a live lock;
 *   <li>COUNTS: each acquisition reports the record's delivery count since the last restart, this one included;
 *   <li>START: every record below the share start offset is settled;
 *   <li>SETTLED_ONCE: between restarts a record is accepted, rejected or dead-lettered at most once,
 *       and after draining every record exactly once;
 *   <li>KEY_HOLDER (key mode): the acquired records of a key belong to one member;
 *   <li>KEY_ORDER (key mode): a record is acquired only when every earlier record of its key is
 *       settled or acquired.
 * </ul>
 */
class SharePartitionPropertiesTest {
    static final int RECORDS = 24;
    static final int MEMBERS = 3;
    static final int MAX_DELIVERIES = 3;
    static final long LOCK = 100;
    static final String[] KEYS = {"a", "b", "c", null};

    record Action(int kind, int member, int arg) {}

    @Provide
    Arbitrary<List<Action>> actions() {
        return Combinators.combine(
                        Arbitraries.integers().between(0, 9),
                        Arbitraries.integers().between(0, MEMBERS - 1),
                        Arbitraries.integers().between(0, 60))
                .as(Action::new)
                .list()
                .ofMaxSize(120);
    }

    /** The model's view of one record. */
    static final class Rec {
        final long offset;
        final ByteBuffer key;
        String owner;
        long deadline;
        int count;
        int terminal; // settlements since the last restart

        Rec(long offset, ByteBuffer key) {
            this.offset = offset;
            this.key = key;
        }

        boolean heldAt(long now) {
            return owner != null && deadline > now;
        }
    }

    static final class Harness {
        final boolean keyMode;
        final int window;
        final List<SharePartition.LogRecord> log = new ArrayList<>();
        final List<Rec> model = new ArrayList<>();
        SharePartition sp;
        long now;

        Harness(boolean keyMode, int window) {
            this.keyMode = keyMode;
            this.window = window;
            for (int i = 0; i < RECORDS; i++) {
                String k = KEYS[(i * 7 + i / 3) % KEYS.length];
                ByteBuffer key = k == null ? null : ByteBuffer.wrap(k.getBytes(StandardCharsets.UTF_8));
                log.add(new SharePartition.LogRecord(i, key));
                model.add(new Rec(i, key));
            }
            sp = new SharePartition(0, keyMode, window);
        }

        String member(int m) {
            return "m" + m;
        }

        /** Locks that ended are gone in the model too (the real one expires them on acquire). */
        void expireModel() {
            for (Rec r : model) {
                if (r.owner != null && r.deadline <= now) {
                    r.owner = null;
                }
            }
        }

        void acquire(String member, int max) {
            long from = sp.firstCandidate();
            List<SharePartition.LogRecord> view = log.subList((int) Math.min(from, RECORDS), RECORDS);
            expireModel();
            List<SharePartition.Acquired> got = sp.acquire(member, max, now, LOCK, view);
            assertTrue(got.size() <= max);
            for (SharePartition.Acquired a : got) {
                Rec r = model.get((int) a.offset());
                // ONE_HOLDER
                assertTrue(
                        !r.heldAt(now),
                        "offset " + a.offset() + " handed to " + member + " while " + r.owner + " holds it until "
                                + r.deadline + " (now " + now + ")");
                assertEquals(0, r.terminal, "offset " + a.offset() + " acquired after it was settled");
                // KEY_ORDER and KEY_HOLDER
                if (keyMode && r.key != null) {
                    for (Rec earlier : model) {
                        if (earlier.offset >= r.offset || !r.key.equals(earlier.key)) {
                            continue;
                        }
                        boolean settled = earlier.terminal > 0 || earlier.offset < sp.startOffset();
                        assertTrue(
                                settled || earlier.owner != null,
                                "offset " + r.offset + " of its key acquired before " + earlier.offset);
                    }
                    for (Rec other : model) {
                        if (other != r && r.key.equals(other.key) && other.owner != null) {
                            assertEquals(member, other.owner, "key held by two members");
                        }
                    }
                }
                r.owner = member;
                r.deadline = now + LOCK;
                r.count++;
                assertEquals(r.count, a.deliveryCount(), "COUNTS of offset " + a.offset());
                if (r.count > MAX_DELIVERIES) { // the broker dead-letters instead of delivering
                    assertTrue(sp.settle(member, a.offset(), ShareAck.REJECT, now, now));
                    settled(r);
                }
            }
        }

        void settled(Rec r) {
            r.owner = null;
            r.terminal++;
            assertEquals(1, r.terminal, "SETTLED_ONCE: offset " + r.offset);
        }

        /** The member's {@code pick}-th held record, or null. */
        Rec held(String member, int pick) {
            expireModel();
            List<Rec> mine = new ArrayList<>();
            for (Rec r : model) {
                if (member.equals(r.owner)) {
                    mine.add(r);
                }
            }
            return mine.isEmpty() ? null : mine.get(pick % mine.size());
        }

        void settle(String member, int pick, ShareAck kind, long until) {
            Rec r = held(member, pick);
            if (r == null) {
                assertTrue(!sp.settle(member, RECORDS + 5, kind, now, until));
                return;
            }
            assertTrue(sp.settle(member, r.offset, kind, now, until), kind + " of held " + r.offset);
            switch (kind) {
                case ACCEPT, REJECT -> settled(r);
                case RELEASE -> r.owner = null;
                case RENEW -> r.deadline = Math.max(r.deadline, until);
            }
        }

        void leave(String member) {
            sp.memberLeft(member, now);
            for (Rec r : model) {
                if (member.equals(r.owner)) {
                    r.owner = null;
                }
            }
        }

        void restart() {
            long start = sp.startOffset();
            sp = new SharePartition(start, keyMode, window);
            for (Rec r : model) {
                r.owner = null;
                if (r.offset >= start) {
                    r.count = 0; // counts are not persisted: at least once from the start offset
                    r.terminal = 0;
                }
            }
        }

        void checkStart() {
            for (Rec r : model) {
                if (r.offset < sp.startOffset()) {
                    assertTrue(r.terminal > 0, "START passed unsettled " + r.offset);
                }
            }
            assertTrue(sp.nextOffset() - sp.startOffset() <= window, "window bound");
        }

        void step(Action a) {
            String m = member(a.member());
            switch (a.kind()) {
                case 0, 1 -> acquire(m, 1 + a.arg() % 6);
                case 2 -> settle(m, a.arg(), ShareAck.ACCEPT, 0);
                case 3 -> settle(m, a.arg(), ShareAck.RELEASE, now + (a.arg() % 2 == 0 ? 0 : 30));
                case 4 -> settle(m, a.arg(), ShareAck.REJECT, 0);
                case 5 -> settle(m, a.arg(), ShareAck.RENEW, now + LOCK);
                case 6 -> now += a.arg() * 3L;
                case 7 -> leave(m);
                case 8 -> {
                    if (a.arg() % 4 == 0) {
                        restart();
                    } else {
                        now += 1;
                    }
                }
                default -> settle(m, a.arg(), ShareAck.ACCEPT, 0);
            }
            checkStart();
        }

        /** Every member accepts everything it gets until the log is settled; each record ends settled exactly once. */
        void drain() {
            for (int round = 0; round < RECORDS * 20 && sp.startOffset() < RECORDS; round++) {
                now += LOCK * 2; // every lock ends: nothing held by a member that went away
                for (int m = 0; m < MEMBERS; m++) {
                    acquire(member(m), RECORDS);
                    Rec r;
                    while ((r = held(member(m), 0)) != null) {
                        assertTrue(sp.settle(member(m), r.offset, ShareAck.ACCEPT, now, now));
                        settled(r);
                    }
                }
                checkStart();
            }
            assertEquals(RECORDS, sp.startOffset(), "all settled");
            for (Rec r : model) {
                assertEquals(1, r.terminal, "offset " + r.offset + " settled exactly once");
            }
        }
    }

    @Property(tries = 400)
    void sharedPartitionKeepsItsInvariants(
            @ForAll("actions") List<Action> actions, @ForAll boolean keyMode, @ForAll("windows") int window) {
        Harness h = new Harness(keyMode, window);
        for (Action a : actions) {
            h.step(a);
        }
        h.drain();
    }

    @Provide
    Arbitrary<Integer> windows() {
        return Arbitraries.of(4, 10, 1000);
    }

    @Property(tries = 100)
    void keysNeverHeldByTwoMembers(@ForAll("actions") List<Action> actions) {
        Harness h = new Harness(true, 1000);
        for (Action a : actions) {
            h.step(a);
            Map<ByteBuffer, Set<String>> holders = new HashMap<>();
            for (Rec r : h.model) {
                if (r.key != null && r.owner != null && r.deadline > h.now) {
                    holders.computeIfAbsent(r.key, k -> new HashSet<>()).add(r.owner);
                }
            }
            holders.forEach((k, owners) -> assertTrue(owners.size() <= 1, "KEY_HOLDER: " + owners));
            for (Rec r : h.model) {
                if (r.key != null && r.owner != null && r.deadline > h.now) {
                    assertEquals(r.owner, h.sp.keyHolder(r.key));
                }
            }
        }
        h.drain();
    }
}
