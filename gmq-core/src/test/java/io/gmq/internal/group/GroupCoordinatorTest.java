package io.gmq.internal.group;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.GroupDescription;
import io.gmq.TopicPartition;
import io.gmq.internal.state.StateDb;
import io.gmq.storage.GroupMembership;
import io.gmq.testkit.ManualClock;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupCoordinatorTest {
    private static final long SESSION_MS = 10_000;

    @TempDir
    Path dir;

    private final ManualClock clock = new ManualClock();
    private final Map<String, Integer> topics = new ConcurrentHashMap<>();
    private StateDb db;
    private GroupCoordinator groups;

    @BeforeEach
    void open() {
        db = StateDb.open(dir);
        groups = new GroupCoordinator(db, clock, t -> topics.getOrDefault(t, -1));
    }

    @AfterEach
    void close() {
        db.close();
    }

    private void reopen() {
        db.close();
        open();
    }

    private static TopicPartition tp(String topic, int partition) {
        return new TopicPartition(topic, partition);
    }

    private static Set<TopicPartition> partitions(String topic, int... numbers) {
        Set<TopicPartition> result = new TreeSet<>();
        for (int p : numbers) {
            result.add(tp(topic, p));
        }
        return result;
    }

    private GroupMembership beat(GroupMembership m) {
        return groups.heartbeat(m.group(), m.memberId(), m.generation(), m.assigned());
    }

    /** Heartbeats every member in order, reporting its last assignment, until nothing changes. */
    private List<GroupMembership> settle(List<GroupMembership> members) {
        List<GroupMembership> current = new ArrayList<>(members);
        for (int round = 0; round < 3; round++) {
            current.replaceAll(this::beat);
        }
        return current;
    }

    @Test
    void joinAssignsUniqueMemberIdsAndAllPartitionsToTheFirstMember() {
        topics.put("t", 3);
        GroupMembership a = groups.join("g", "app", Set.of("t"), SESSION_MS);
        GroupMembership b = groups.join("g", "app", Set.of("t"), SESSION_MS);

        assertTrue(a.memberId().startsWith("app-"));
        assertFalse(a.memberId().equals(b.memberId()), "same client id, distinct members");
        assertEquals(partitions("t", 0, 1, 2), a.assigned());
        assertEquals(1, a.generation());
        assertEquals(SESSION_MS, a.sessionTimeoutMillis());
    }

    @Test
    void joiningMemberTakesOnlyItsShareAndOthersKeepTheRest() {
        topics.put("t", 12);
        List<GroupMembership> members = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            members.add(groups.join("g", "c" + i, Set.of("t"), SESSION_MS));
        }
        members = settle(members);
        Map<TopicPartition, String> before = new TreeMap<>();
        members.forEach(m -> m.assigned().forEach(p -> before.put(p, m.memberId())));
        assertEquals(12, before.size());

        members.add(groups.join("g", "c3", Set.of("t"), SESSION_MS));
        members = settle(members);

        int moved = 0;
        for (GroupMembership m : members) {
            for (TopicPartition p : m.assigned()) {
                moved += m.memberId().equals(before.get(p)) ? 0 : 1;
            }
            assertEquals(3, m.assigned().size(), "balanced");
        }
        assertEquals(3, moved, "only the new member's share moved");
    }

    @Test
    void movedPartitionGoesToNewMemberOnlyAfterOldOwnerReleasesIt() {
        topics.put("t", 4);
        GroupMembership a = groups.join("g", "a", Set.of("t"), SESSION_MS);
        assertEquals(partitions("t", 0, 1, 2, 3), a.assigned());

        GroupMembership b = groups.join("g", "b", Set.of("t"), SESSION_MS);
        assertTrue(b.assigned().isEmpty(), "a still owns everything");
        assertEquals(2, b.generation());

        GroupMembership aRevoking = beat(a); // still reports all four
        assertEquals(2, aRevoking.assigned().size(), "moving partitions leave a's assignment at once");
        Set<TopicPartition> moving = new TreeSet<>(a.assigned());
        moving.removeAll(aRevoking.assigned());
        assertTrue(beat(b).assigned().isEmpty(), "b cannot acquire before a confirms");

        // While revoking, a may still commit the final offsets of the moving partitions.
        TopicPartition last = moving.iterator().next();
        assertEquals(Set.of(), groups.commit("g", a.memberId(), aRevoking.generation(), Map.of(last, 42L)));

        GroupMembership aReleased = beat(aRevoking); // reports only what it still has
        assertEquals(aRevoking.assigned(), aReleased.assigned());
        assertEquals(moving, beat(b).assigned(), "b acquires once a released");
        assertEquals(
                Set.of(last),
                groups.commit("g", a.memberId(), aReleased.generation(), Map.of(last, 43L)),
                "a no longer owns it");
        assertEquals(Map.of(last, 42L), groups.committed("g", List.of(last)));
    }

    @Test
    void commitRejectsPartitionsTheMemberDoesNotOwnAndCommitsTheRest() {
        topics.put("t", 2);
        GroupMembership a = groups.join("g", "a", Set.of("t"), SESSION_MS);
        GroupMembership b = groups.join("g", "b", Set.of("t"), SESSION_MS);
        List<GroupMembership> settled = settle(List.of(a, b));
        TopicPartition mine = settled.get(0).assigned().iterator().next();
        TopicPartition theirs = settled.get(1).assigned().iterator().next();

        Set<TopicPartition> rejected =
                groups.commit("g", a.memberId(), a.generation(), Map.of(mine, 10L, theirs, 20L, tp("other", 0), 5L));

        assertEquals(Set.of(theirs, tp("other", 0)), rejected);
        assertEquals(Map.of(mine, 10L), groups.committed("g", List.of(mine, theirs, tp("other", 0))));
    }

    @Test
    void commitAndHeartbeatOfUnknownMemberFailWithRejoinHint() {
        topics.put("t", 1);
        GroupMembership a = groups.join("g", "a", Set.of("t"), SESSION_MS);
        groups.leave("g", a.memberId());

        GmqException commit = assertThrows(
                GmqException.class, () -> groups.commit("g", a.memberId(), a.generation(), Map.of(tp("t", 0), 1L)));
        assertEquals(ErrorCode.FAILED_PRECONDITION, commit.code());
        assertEquals(
                "member " + a.memberId() + " is not in group g (session expired or left); rejoin", commit.getMessage());
        GmqException heartbeat =
                assertThrows(GmqException.class, () -> groups.heartbeat("g", a.memberId(), a.generation(), Set.of()));
        assertEquals(ErrorCode.FAILED_PRECONDITION, heartbeat.code());
        assertEquals(
                ErrorCode.FAILED_PRECONDITION,
                assertThrows(GmqException.class, () -> groups.heartbeat("never-existed", "x", 0, Set.of()))
                        .code());
        assertTrue(groups.committed("g", List.of(tp("t", 0))).isEmpty(), "nothing committed");
    }

    @Test
    void lowerCommittedOffsetIsIgnoredAndHigherOneKept() {
        topics.put("t", 1);
        GroupMembership a = groups.join("g", "a", Set.of("t"), SESSION_MS);
        groups.commit("g", a.memberId(), a.generation(), Map.of(tp("t", 0), 100L));
        assertEquals(Set.of(), groups.commit("g", a.memberId(), a.generation(), Map.of(tp("t", 0), 50L)));
        assertEquals(Map.of(tp("t", 0), 100L), groups.committed("g", List.of(tp("t", 0))));
        assertEquals(
                ErrorCode.INVALID_ARGUMENT,
                assertThrows(
                                GmqException.class,
                                () -> groups.commit("g", a.memberId(), a.generation(), Map.of(tp("t", 0), -1L)))
                        .code());
    }

    @Test
    void silentMemberExpiresAfterSessionTimeoutAndItsPartitionsMove() {
        topics.put("t", 2);
        GroupMembership a = groups.join("g", "a", Set.of("t"), 1_000);
        GroupMembership b = groups.join("g", "b", Set.of("t"), 5_000);
        List<GroupMembership> settled = settle(List.of(a, b));

        clock.advanceMillis(1_000);
        assertEquals(0, groups.expireMembers(), "exactly at the timeout is still alive");
        clock.advanceMillis(1);
        assertEquals(1, groups.expireMembers());

        assertEquals(
                ErrorCode.FAILED_PRECONDITION,
                assertThrows(GmqException.class, () -> beat(settled.get(0))).code());
        assertEquals(partitions("t", 0, 1), beat(settled.get(1)).assigned(), "b takes over at once");
    }

    @Test
    void heartbeatExtendsTheSession() {
        topics.put("t", 1);
        GroupMembership a = groups.join("g", "a", Set.of("t"), 1_000);
        for (int i = 0; i < 5; i++) {
            clock.advanceMillis(900);
            a = beat(a);
            assertEquals(0, groups.expireMembers());
        }
        assertEquals(partitions("t", 0), a.assigned());
    }

    @Test
    void resetOffsetsIsRefusedWhileTheGroupHasMembersAndMayMoveOffsetsBack() {
        topics.put("t", 2);
        GroupMembership a = groups.join("g", "a", Set.of("t"), SESSION_MS);
        groups.commit("g", a.memberId(), a.generation(), Map.of(tp("t", 0), 100L, tp("t", 1), 200L));

        GmqException refused = assertThrows(GmqException.class, () -> groups.resetOffsets("g", "t", p -> 0));
        assertEquals(ErrorCode.FAILED_PRECONDITION, refused.code());
        assertEquals("group g has 1 members; stop them before resetting offsets", refused.getMessage());

        groups.leave("g", a.memberId());
        groups.resetOffsets("g", "t", p -> p.partition() * 10L);
        assertEquals(Map.of(tp("t", 0), 0L, tp("t", 1), 10L), groups.committed("g", partitions("t", 0, 1)));
        assertEquals(
                ErrorCode.NOT_FOUND,
                assertThrows(GmqException.class, () -> groups.resetOffsets("g", "missing", p -> 0))
                        .code());
        assertEquals(
                ErrorCode.INVALID_ARGUMENT,
                assertThrows(GmqException.class, () -> groups.resetOffsets("g", "t", p -> p.partition() == 1 ? -1 : 5))
                        .code());
        assertEquals(
                Map.of(tp("t", 0), 0L, tp("t", 1), 10L),
                groups.committed("g", partitions("t", 0, 1)),
                "a refused reset changes nothing");
        assertEquals(
                ErrorCode.NOT_FOUND,
                assertThrows(GmqException.class, () -> groups.resetOffsets("fresh", "missing", p -> 0))
                        .code());
        assertNull(groups.snapshot("fresh"), "a refused reset does not create the group");
    }

    @Test
    void deleteGroupDropsItsOffsetsDurablyAndIsRefusedWhileItHasMembers() {
        topics.put("t", 2);
        GroupMembership a = groups.join("g", "a", Set.of("t"), SESSION_MS);
        groups.commit("g", a.memberId(), a.generation(), Map.of(tp("t", 0), 100L, tp("t", 1), 200L));
        groups.resetOffsets("other", "t", p -> 5);

        GmqException refused = assertThrows(GmqException.class, () -> groups.deleteGroup("g"));
        assertEquals(ErrorCode.FAILED_PRECONDITION, refused.code());
        assertEquals("group g has 1 members; stop them before deleting the group", refused.getMessage());
        assertEquals(2, groups.committed("g", partitions("t", 0, 1)).size(), "a refused delete changes nothing");

        groups.leave("g", a.memberId());
        int generation = groups.snapshot("g").generation();
        groups.deleteGroup("g");
        assertEquals(List.of("other"), groups.listGroups());
        assertEquals(Map.of(), groups.committed("g", partitions("t", 0, 1)));
        assertEquals(
                ErrorCode.NOT_FOUND,
                assertThrows(GmqException.class, () -> groups.describe("g", p -> 0))
                        .code());
        assertEquals(
                ErrorCode.NOT_FOUND,
                assertThrows(GmqException.class, () -> groups.deleteGroup("g")).code(),
                "deleting it again: nothing there");
        assertEquals(
                ErrorCode.NOT_FOUND,
                assertThrows(GmqException.class, () -> groups.deleteGroup("never-existed"))
                        .code());
        assertEquals(
                ErrorCode.INVALID_ARGUMENT,
                assertThrows(GmqException.class, () -> groups.deleteGroup("")).code());

        reopen();
        assertEquals(List.of("other"), groups.listGroups(), "the delete is durable");
        assertEquals(Map.of(), groups.committed("g", partitions("t", 0, 1)));
        GroupMembership again = groups.join("g", "b", Set.of("t"), SESSION_MS);
        assertTrue(again.generation() > generation, "the generation never goes back");
    }

    @Test
    void membersGenerationOwnershipAndOffsetsSurviveRestart() {
        topics.put("t", 4);
        GroupMembership a = groups.join("g", "a", Set.of("t"), SESSION_MS);
        GroupMembership b = groups.join("g", "b", Set.of("t"), SESSION_MS);
        List<GroupMembership> settled = settle(List.of(a, b));
        groups.commit(
                "g",
                a.memberId(),
                settled.get(0).generation(),
                Map.of(settled.get(0).assigned().iterator().next(), 7L));
        groups.resetOffsets("h", "t", p -> 3); // a group with offsets only
        GroupSnapshot before = groups.snapshot("g");
        GroupSnapshot offsetsOnly = groups.snapshot("h");

        reopen();

        assertEquals(before, groups.snapshot("g"));
        assertEquals(offsetsOnly, groups.snapshot("h"));
        assertEquals(List.of("g", "h"), groups.listGroups());
        GroupMembership resumed = beat(settled.get(0));
        assertEquals(settled.get(0).assigned(), resumed.assigned(), "the member resumes where it was");
        assertEquals(before.generation(), resumed.generation());
    }

    @Test
    void membersGetAFreshSessionAfterRestart() {
        topics.put("t", 1);
        GroupMembership a = groups.join("g", "a", Set.of("t"), 1_000);
        clock.advanceMillis(900);
        reopen();
        clock.advanceMillis(900);
        assertEquals(0, groups.expireMembers(), "the session restarted at reopen");
        clock.advanceMillis(101);
        assertEquals(1, groups.expireMembers());
        assertEquals(
                ErrorCode.FAILED_PRECONDITION,
                assertThrows(GmqException.class, () -> beat(a)).code());
    }

    @Test
    void topicCreatedAfterSubscribeGetsAssignedOnNextHeartbeat() {
        GroupMembership a = groups.join("g", "a", Set.of("later"), SESSION_MS);
        assertTrue(a.assigned().isEmpty());
        assertEquals(0, a.generation(), "no partitions, no target change");

        topics.put("later", 2);
        GroupMembership next = beat(a);
        assertEquals(partitions("later", 0, 1), next.assigned());
        assertEquals(1, next.generation());

        topics.put("later", 3);
        assertEquals(partitions("later", 0, 1, 2), beat(next).assigned(), "partition growth is picked up");
    }

    @Test
    void deletedTopicLosesOwnershipAndOffsetsAndGroupRebalances() {
        topics.put("t", 2);
        topics.put("u", 1);
        GroupMembership a = groups.join("g", "a", Set.of("t", "u"), SESSION_MS);
        groups.commit("g", a.memberId(), a.generation(), Map.of(tp("t", 0), 5L, tp("u", 0), 6L));
        int generation = a.generation();

        topics.remove("t");
        groups.onTopicDeleted("t");

        GroupMembership after = beat(a);
        assertEquals(partitions("u", 0), after.assigned());
        assertTrue(after.generation() > generation);
        assertEquals(Map.of(tp("u", 0), 6L), groups.committed("g", List.of(tp("t", 0), tp("u", 0))));
        assertTrue(groups.snapshot("g").slots().keySet().stream()
                .noneMatch(p -> p.topic().equals("t")));
    }

    @Test
    void describeShowsOwnersOffsetsAndLag() {
        topics.put("t", 2);
        GroupMembership a = groups.join("g", "client-a", Set.of("t"), SESSION_MS);
        groups.commit("g", a.memberId(), a.generation(), Map.of(tp("t", 0), 30L));
        clock.advanceMillis(250);

        GroupDescription d = groups.describe("g", p -> 100L);

        assertEquals(1, d.generation());
        assertEquals(1, d.members().size());
        GroupDescription.Member m = d.members().get(0);
        assertEquals("client-a", m.clientId());
        assertEquals(Set.of("t"), m.topics());
        assertEquals(partitions("t", 0, 1), m.assigned());
        assertEquals(250, m.lastHeartbeatAgeMillis());
        assertEquals(
                List.of(
                        new GroupDescription.PartitionProgress(tp("t", 0), a.memberId(), 30, 100, 70),
                        new GroupDescription.PartitionProgress(tp("t", 1), a.memberId(), -1, 100, 100)),
                d.partitions());
    }

    @Test
    void describeAndListIgnoreGroupsWithoutMembersOrOffsets() {
        topics.put("t", 1);
        GroupMembership a = groups.join("g", "a", Set.of("t"), SESSION_MS);
        assertEquals(List.of("g"), groups.listGroups());
        groups.leave("g", a.memberId());
        groups.leave("g", a.memberId()); // idempotent

        assertEquals(List.of(), groups.listGroups());
        assertEquals(
                ErrorCode.NOT_FOUND,
                assertThrows(GmqException.class, () -> groups.describe("g", p -> 0))
                        .code());
        assertEquals(
                ErrorCode.NOT_FOUND,
                assertThrows(GmqException.class, () -> groups.describe("nope", p -> 0))
                        .code());
    }

    @Test
    void badNamesAndArgumentsAreInvalidArgument() {
        topics.put("t", 1);
        List<Runnable> bad = List.of(
                () -> groups.join("", "c", Set.of("t"), SESSION_MS),
                () -> groups.join("g".repeat(250), "c", Set.of("t"), SESSION_MS),
                () -> groups.join("g\n", "c", Set.of("t"), SESSION_MS),
                () -> groups.join("g", "", Set.of("t"), SESSION_MS),
                () -> groups.join("g", "c\u0000", Set.of("t"), SESSION_MS),
                () -> groups.join("g", "c", Set.of(), SESSION_MS),
                () -> groups.join("g", "c", Set.of("t"), 0));
        for (Runnable r : bad) {
            assertEquals(
                    ErrorCode.INVALID_ARGUMENT,
                    assertThrows(GmqException.class, r::run).code());
        }
        groups.join("g".repeat(249), "c", Set.of("t"), SESSION_MS);
        assertNull(groups.snapshot("g"), "failed joins created nothing");
    }

    @Test
    void concurrentHeartbeatsFromManyThreadsKeepOneOwnerPerPartition() throws Exception {
        topics.put("t", 16);
        List<GroupMembership> members = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            members.add(groups.join("g", "c" + i, Set.of("t"), SESSION_MS));
        }
        List<Thread> threads = new ArrayList<>();
        List<GroupMembership> finals = java.util.Collections.synchronizedList(new ArrayList<>());
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (GroupMembership start : members) {
            Thread t = new Thread(
                    () -> {
                        try {
                            GroupMembership m = start;
                            for (int i = 0; i < 200; i++) {
                                m = beat(m);
                            }
                            finals.add(m);
                        } catch (Throwable e) {
                            failures.add(e);
                        }
                    },
                    "heartbeat-" + start.memberId());
            threads.add(t);
            t.start();
        }
        for (Thread t : threads) {
            t.join(60_000);
        }
        assertEquals(List.of(), failures);
        // A thread may finish its beats before the others released what it is due; a few
        // sequential rounds complete the hand-overs (what is checked is ownership, not timing).
        List<GroupMembership> settled = settle(finals);
        Set<TopicPartition> seen = new HashSet<>();
        for (GroupMembership m : settled) {
            assertEquals(4, m.assigned().size());
            for (TopicPartition p : m.assigned()) {
                assertTrue(seen.add(p), p + " assigned twice");
            }
        }
        assertEquals(16, seen.size());
    }

    @Test
    void steadyHeartbeatsWriteNothingToSqlite() {
        topics.put("t", 4);
        List<GroupMembership> members = settle(List.of(
                groups.join("g", "a", Set.of("t"), SESSION_MS), groups.join("g", "b", Set.of("t"), SESSION_MS)));
        long writes = groups.writeTransactions();

        for (int i = 0; i < 100; i++) {
            members = settle(members);
        }

        assertEquals(writes, groups.writeTransactions(), "nothing changed, nothing written");
        groups.leave("g", members.get(0).memberId());
        assertEquals(writes + 1, groups.writeTransactions(), "a change is one transaction");
    }

    @Test
    void failedWriteLeavesMemoryEqualToSqlite() {
        topics.put("t", 1);
        GroupMembership a = groups.join("g", "a", Set.of("t"), SESSION_MS);
        db.migrate("CREATE TRIGGER fail_offsets BEFORE INSERT ON consumer_group_offset "
                + "BEGIN SELECT RAISE(ABORT, 'injected failure'); END");

        GmqException failed = assertThrows(
                GmqException.class, () -> groups.commit("g", a.memberId(), a.generation(), Map.of(tp("t", 0), 5L)));
        assertEquals(ErrorCode.INTERNAL, failed.code());

        db.migrate("DROP TRIGGER fail_offsets");
        assertEquals(Map.of(), groups.committed("g", List.of(tp("t", 0))), "the failed commit is not served");
        assertEquals(partitions("t", 0), beat(a).assigned(), "the rest of the group is intact");
        assertEquals(Set.of(), groups.commit("g", a.memberId(), a.generation(), Map.of(tp("t", 0), 5L)));
        reopen();
        assertEquals(Map.of(tp("t", 0), 5L), groups.committed("g", List.of(tp("t", 0))));
    }

    // ---- static members -------------------------------------------------------------------------

    @Test
    void aStaticMemberSurvivesRestartAndItsRejoinTakesItsPartitionsOverWithoutARebalance() {
        topics.put("t", 6);
        GroupMembership a = groups.join("g", "a", Set.of("t"), SESSION_MS, "host-a");
        GroupMembership b = groups.join("g", "b", Set.of("t"), SESSION_MS);
        List<GroupMembership> settled = settle(List.of(a, b));
        GroupSnapshot before = groups.snapshot("g");
        assertEquals("host-a", before.members().get(a.memberId()).instanceId());

        reopen(); // the storage restarts while the static member's process is down

        assertEquals(before, groups.snapshot("g"), "instance id and owner generations are persisted");
        GroupMembership again = groups.join("g", "a", Set.of("t"), SESSION_MS, "host-a");
        assertEquals(settled.get(0).assigned(), again.assigned(), "the same partitions come back");
        assertEquals(before.generation(), again.generation(), "no rebalance");
        assertEquals(settled.get(1).assigned(), beat(settled.get(1)).assigned(), "the other member keeps its own");
        assertEquals(
                Set.of(again.memberId(), b.memberId()),
                groups.snapshot("g").members().keySet());
        GmqException fenced = assertThrows(GmqException.class, () -> beat(settled.get(0)));
        assertEquals(ErrorCode.ALREADY_EXISTS, fenced.code());
        assertTrue(fenced.getMessage().contains("'host-a'"), fenced.getMessage());
    }

    @Test
    void anAbsentStaticMemberKeepsItsPartitionsUntilItsTimeoutThenTheGroupRebalances() {
        topics.put("t", 4);
        GroupMembership a = groups.join("g", "a", Set.of("t"), 1_000, "host-a");
        GroupMembership b = groups.join("g", "b", Set.of("t"), SESSION_MS);
        List<GroupMembership> settled = settle(List.of(a, b));
        Set<TopicPartition> aHeld = settled.get(0).assigned();
        assertEquals(2, aHeld.size());

        clock.advanceMillis(900); // a's process is gone; b goes on
        GroupMembership bNow = beat(settled.get(1));
        assertEquals(0, groups.expireMembers());
        assertEquals(settled.get(1).assigned(), bNow.assigned(), "a's partitions go to nobody while it may return");

        clock.advanceMillis(101);
        assertEquals(1, groups.expireMembers());
        List<GroupMembership> after = settle(List.of(bNow));
        assertEquals(partitions("t", 0, 1, 2, 3), after.get(0).assigned(), "after the timeout b takes them");
        GroupMembership late = groups.join("g", "a", Set.of("t"), 1_000, "host-a");
        assertTrue(late.generation() > after.get(0).generation(), "a late static join is a new member: rebalance");
    }

    @Test
    void aStaticRejoinWithOtherTopicsReplacesTheMemberThroughARebalance() {
        topics.put("t", 2);
        topics.put("u", 2);
        GroupMembership a = groups.join("g", "a", Set.of("t"), SESSION_MS, "host-a");
        GroupMembership other = groups.join("g", "a", Set.of("u"), SESSION_MS, "host-a");
        assertTrue(other.generation() > a.generation(), "a changed subscription rebalances");
        assertEquals(partitions("u", 0, 1), settle(List.of(other)).get(0).assigned());
        assertEquals(Set.of(other.memberId()), groups.snapshot("g").members().keySet());
        assertEquals(
                ErrorCode.ALREADY_EXISTS,
                assertThrows(GmqException.class, () -> beat(a)).code());
    }

    @Test
    void aGroupInstanceIdThatIsNotAValidNameIsInvalidArgumentAndJoinsNothing() {
        topics.put("t", 1);
        for (String bad : new String[] {"", "a\u0007b", "x".repeat(GroupNames.MAX_LENGTH + 1)}) {
            GmqException e =
                    assertThrows(GmqException.class, () -> groups.join("g", "a", Set.of("t"), SESSION_MS, bad));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains("group instance id"), e.getMessage());
        }
        assertNull(groups.snapshot("g"));
    }

    @Test
    void aStaleGenerationCommitIsRefusedAfterThePartitionMovedAwayAndBack() {
        topics.put("t", 2);
        GroupMembership a = groups.join("g", "a", Set.of("t"), SESSION_MS);
        int firstGeneration = a.generation();
        GroupMembership b = groups.join("g", "b", Set.of("t"), SESSION_MS);
        List<GroupMembership> settled = settle(List.of(a, b));
        TopicPartition moved = settled.get(1).assigned().iterator().next();
        groups.leave("g", b.memberId());
        GroupMembership back = settle(List.of(settled.get(0))).get(0);
        assertTrue(back.assigned().contains(moved));

        assertEquals(Set.of(moved), groups.commit("g", a.memberId(), firstGeneration, Map.of(moved, 9L)));
        assertEquals(Map.of(), groups.committed("g", List.of(moved)), "the stale commit changed nothing");
        assertEquals(Set.of(), groups.commit("g", a.memberId(), back.generation(), Map.of(moved, 9L)));
        assertEquals(Map.of(moved, 9L), groups.committed("g", List.of(moved)));
    }

    @Test
    void aGroupStateWrittenBeforeStaticMembersLoadsWithDynamicMembers() {
        db.close();
        Path old = dir.resolve("old");
        db = StateDb.open(old);
        db.migrate(
                "CREATE TABLE consumer_group_member (group_name TEXT NOT NULL, member_id TEXT NOT NULL, "
                        + "client_id TEXT NOT NULL, session_timeout_ms INTEGER NOT NULL, PRIMARY KEY (group_name, member_id))",
                "CREATE TABLE consumer_group_partition (group_name TEXT NOT NULL, topic TEXT NOT NULL, "
                        + "partition INTEGER NOT NULL, owner_member_id TEXT, target_member_id TEXT, "
                        + "PRIMARY KEY (group_name, topic, partition))",
                "CREATE TABLE consumer_group (group_name TEXT PRIMARY KEY, generation INTEGER NOT NULL)",
                "INSERT INTO consumer_group VALUES ('g', 3)",
                "INSERT INTO consumer_group_member VALUES ('g', 'm', 'c', 10000)",
                "INSERT INTO consumer_group_partition VALUES ('g', 't', 0, 'm', 'm')");
        topics.put("t", 1);
        groups = new GroupCoordinator(db, clock, t -> topics.getOrDefault(t, -1));

        GroupSnapshot loaded = groups.snapshot("g");
        assertNull(loaded.members().get("m").instanceId());
        assertEquals(new PartitionSlot("m", "m", 0), loaded.slots().get(tp("t", 0)));
        assertEquals(Set.of(), groups.commit("g", "m", 3, Map.of(tp("t", 0), 4L)), "its owner still commits");
    }
}
