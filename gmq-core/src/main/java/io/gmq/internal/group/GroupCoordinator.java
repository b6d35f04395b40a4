package io.gmq.internal.group;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.GroupDescription;
import io.gmq.TimeSource;
import io.gmq.TopicPartition;
import io.gmq.internal.state.StateDb;
import io.gmq.internal.topic.TopicNames;
import io.gmq.storage.GroupMembership;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToIntFunction;
import java.util.function.ToLongFunction;

/**
 * Consumer groups of one storage node: join, heartbeat, leave, session expiry, offset commits,
 * with the semantics of {@link io.gmq.storage.Storage}'s group calls. The protocol itself lives in
 * the pure {@link GroupState}; this class adds the clock, the SQLite persistence and the lock.
 *
 * <p>Every group is loaded at construction and kept in memory; this coordinator is the only writer
 * of the group tables, so memory and SQLite agree. A call runs the transition on the in-memory
 * state, then writes exactly the rows it changed in one {@link StateDb#inTransaction} before
 * answering — a caller never sees a result that is not durable. A steady-state heartbeat (nothing
 * released, acquired or rebalanced) changes no row and does not touch SQLite at all, which is what
 * makes hundreds of heartbeats a second cheap. If a write fails, the transaction rolls back and the
 * group is reloaded from SQLite before its next use, so memory never runs ahead of the disk.
 *
 * <p>Session deadlines are kept in memory on the monotonic clock; after a restart every persisted
 * member gets a fresh session of its timeout from the moment of loading.
 *
 * <p>Thread-safe: one lock serialises all calls (each is short; SQLite has one writer anyway).
 * Lock order is this coordinator's lock, then {@link StateDb}'s: never call the coordinator from
 * inside a {@link StateDb#inTransaction} of your own.
 */
public final class GroupCoordinator {
    /** Upper bound for a member's session timeout: a dead consumer must not hold partitions for days. */
    public static final long MAX_SESSION_TIMEOUT_MILLIS = 24L * 60 * 60 * 1000;

    private static final long NANOS_PER_MILLI = 1_000_000L;

    /**
     * Hears every change of a group's committed offset once it is durable (the consumer-lag
     * gauges watch them). Called under the coordinator's lock: it must be quick and must not call
     * back into the coordinator.
     */
    @FunctionalInterface
    public interface CommittedOffsetObserver {
        CommittedOffsetObserver NONE = (group, tp, offset) -> {};

        /** {@code offset} is the committed offset of {@code tp} in {@code group} now, or -1 if it has none any more. */
        void committed(String group, TopicPartition tp, long offset);
    }

    private final StateDb db;
    private final TimeSource time;
    private final ToIntFunction<String> partitionCount;
    private final CommittedOffsetObserver observer;
    private final ReentrantLock lock = new ReentrantLock();
    private final SortedMap<String, GroupState> groups = new TreeMap<>();
    /** Groups whose last write failed: their memory may be ahead of SQLite until reloaded. */
    private final SortedSet<String> needsReload = new TreeSet<>();
    /** SQLite transactions that wrote group rows; lets tests prove that idle heartbeats write nothing. */
    private long writeTransactions;

    /**
     * @param partitionCount topic -> its partition count, or -1 if it does not exist (yet); called
     *                       under the coordinator's lock, so it must be a quick lookup that does not
     *                       call back into this coordinator
     */
    public GroupCoordinator(StateDb db, TimeSource time, ToIntFunction<String> partitionCount) {
        this(db, time, partitionCount, CommittedOffsetObserver.NONE);
    }

    /** As {@link #GroupCoordinator(StateDb, TimeSource, ToIntFunction)}, telling {@code observer} of every committed offset, the loaded ones first. */
    public GroupCoordinator(
            StateDb db, TimeSource time, ToIntFunction<String> partitionCount, CommittedOffsetObserver observer) {
        this.db = db;
        this.time = time;
        this.partitionCount = partitionCount;
        this.observer = observer;
        GroupStore.migrate(db);
        SortedMap<String, GroupSnapshot> persisted = db.inTransaction(GroupStore::loadAll);
        long now = time.nanoTime();
        persisted.forEach((name, snapshot) -> groups.put(name, GroupState.restore(snapshot, now)));
        groups.forEach((name, state) -> state.offsets().forEach((tp, offset) -> observer.committed(name, tp, offset)));
    }

    /** Adds a member with a new unique id ({@code clientId-<uuid>}) subscribed to {@code topics}. */
    public GroupMembership join(String group, String clientId, Set<String> topics, long sessionTimeoutMillis) {
        return join(group, clientId + "-" + UUID.randomUUID(), clientId, topics, sessionTimeoutMillis);
    }

    /**
     * Adds a member with the id {@code memberId}, which the caller made unique (a replicated
     * storage's leader chooses it once, so every replica applies the same join).
     */
    public GroupMembership join(
            String group, String memberId, String clientId, Set<String> topics, long sessionTimeoutMillis) {
        return join(group, memberId, clientId, null, topics, sessionTimeoutMillis);
    }

    /**
     * Adds a static member ({@code groupInstanceId} not null) with a new unique id: it takes over
     * the present member with that instance id, if any, keeping its partitions (see
     * {@link GroupState}). With a null instance id, as {@link #join(String, String, Set, long)}.
     */
    public GroupMembership join(
            String group, String clientId, Set<String> topics, long sessionTimeoutMillis, String groupInstanceId) {
        return join(group, clientId + "-" + UUID.randomUUID(), clientId, groupInstanceId, topics, sessionTimeoutMillis);
    }

    /**
     * Adds a member with the id {@code memberId}, which the caller made unique, and the static
     * member's {@code groupInstanceId} (null: a dynamic member). INVALID_ARGUMENT for an instance
     * id that is not a valid name (same rule as a client id).
     */
    public GroupMembership join(
            String group,
            String memberId,
            String clientId,
            String groupInstanceId,
            Set<String> topics,
            long sessionTimeoutMillis) {
        // The broker's subscribe applies the same rule: a group the storage API creates is one a client can join.
        TopicNames.validateGroup(group);
        GroupNames.check("client id", clientId);
        if (topics == null || topics.isEmpty()) {
            throw GmqException.invalidArgument("a member of group " + group + " must subscribe to at least one topic");
        }
        topics.forEach(t -> GroupNames.check("topic", t));
        if (sessionTimeoutMillis <= 0 || sessionTimeoutMillis > MAX_SESSION_TIMEOUT_MILLIS) {
            throw GmqException.invalidArgument("session timeout must be between 1 and " + MAX_SESSION_TIMEOUT_MILLIS
                    + " ms, was " + sessionTimeoutMillis);
        }
        if (memberId == null || memberId.isEmpty()) {
            throw GmqException.invalidArgument("member id must not be empty");
        }
        if (groupInstanceId != null) {
            GroupNames.check("group instance id", groupInstanceId);
        }
        return mutate(
                group,
                true,
                state -> state.join(
                        memberId,
                        clientId,
                        groupInstanceId,
                        topics,
                        sessionTimeoutMillis,
                        time.nanoTime(),
                        partitionCount));
    }

    /**
     * Keeps the member alive and returns its assignment; {@code owned} are the partitions it still
     * delivers (the ones it leaves out are released). FAILED_PRECONDITION for an unknown member,
     * ALREADY_EXISTS for a static member fenced by a newer join with its instance id.
     */
    public GroupMembership heartbeat(String group, String memberId, int generation, Set<TopicPartition> owned) {
        Set<TopicPartition> reported = owned == null ? Set.of() : owned;
        return mutate(
                group, false, state -> state.heartbeat(memberId, reported, time.nanoTime(), partitionCount), () -> {
                    throw unknownMember(group, memberId);
                });
    }

    /** Removes the member and releases its partitions. A member that is already gone is ignored. */
    public void leave(String group, String memberId) {
        mutate(
                group,
                false,
                state -> {
                    state.leave(memberId, partitionCount);
                    return null;
                },
                () -> null);
    }

    /**
     * Commits in one transaction; returns the partitions not committed: those the member does not
     * own, and those it acquired at a generation later than {@code generation} (a stale commit).
     * A lower offset than the committed one is ignored (the higher stays). FAILED_PRECONDITION for
     * an unknown member, ALREADY_EXISTS for a fenced static member.
     */
    public Set<TopicPartition> commit(
            String group, String memberId, int generation, Map<TopicPartition, Long> offsets) {
        Map<TopicPartition, Long> entries = offsets == null ? Map.of() : offsets;
        return mutate(group, false, state -> state.commit(memberId, generation, entries), () -> {
            throw unknownMember(group, memberId);
        });
    }

    /** Committed offsets (next offset to consume); partitions with none are absent. */
    public Map<TopicPartition, Long> committed(String group, Collection<TopicPartition> partitions) {
        return read(group, state -> {
            Map<TopicPartition, Long> result = new LinkedHashMap<>();
            if (state != null) {
                for (TopicPartition tp : partitions) {
                    Long offset = state.offsets().get(tp);
                    if (offset != null) {
                        result.put(tp, offset);
                    }
                }
            }
            return result;
        });
    }

    /** Groups that have members or committed offsets, sorted. */
    public List<String> listGroups() {
        lock.lock();
        try {
            reloadFailedGroups();
            List<String> result = new ArrayList<>();
            groups.forEach((name, state) -> {
                if (!state.isEmpty()) {
                    result.add(name);
                }
            });
            return result;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Members, ownership, offsets and lag. Partitions listed: every partition of a subscribed topic
     * plus every partition with a committed offset. A member's {@code assigned} is what it owns now
     * (including partitions it is still releasing), consistent with each partition's owner. Lag is
     * {@code max(0, highWatermark - committed)}; with nothing committed it is
     * {@code highWatermark} (counted from offset 0, so it overstates lag once retention has
     * deleted the log's start). NOT_FOUND if the group has neither members nor offsets;
     * INVALID_ARGUMENT if {@code group} is not a valid group name.
     */
    public GroupDescription describe(String group, ToLongFunction<TopicPartition> highWatermark) {
        TopicNames.validateGroup(group); // a name no group can have is a bad request, not an absent group
        return read(group, state -> {
            if (state == null || state.isEmpty()) {
                throw GmqException.notFound("group " + group + " has no members and no committed offsets");
            }
            state.refresh(partitionCount);
            persist(state);
            long now = time.nanoTime();
            Map<String, Set<TopicPartition>> owned = new TreeMap<>();
            state.slots().forEach((tp, slot) -> {
                if (slot.owner() != null) {
                    owned.computeIfAbsent(slot.owner(), m -> new TreeSet<>()).add(tp);
                }
            });
            List<GroupDescription.Member> members = new ArrayList<>();
            state.members()
                    .forEach((id, m) -> members.add(new GroupDescription.Member(
                            id,
                            m.clientId(),
                            m.topics(),
                            Set.copyOf(owned.getOrDefault(id, Set.of())),
                            (now - state.lastHeartbeatNanos(id)) / NANOS_PER_MILLI)));
            SortedSet<TopicPartition> partitions = state.subscribedPartitions();
            partitions.addAll(state.offsets().keySet());
            List<GroupDescription.PartitionProgress> progress = new ArrayList<>();
            for (TopicPartition tp : partitions) {
                PartitionSlot slot = state.slots().getOrDefault(tp, PartitionSlot.EMPTY);
                long committed = state.offsets().getOrDefault(tp, -1L);
                long hw = highWatermark.applyAsLong(tp);
                long lag = Math.max(0, hw - Math.max(0, committed));
                progress.add(new GroupDescription.PartitionProgress(tp, slot.owner(), committed, hw, lag));
            }
            return new GroupDescription(group, state.generation(), List.copyOf(members), List.copyOf(progress));
        });
    }

    /**
     * Sets the committed offset of every partition of {@code topic} to {@code resolvedOffset}
     * (the only way to move an offset back). FAILED_PRECONDITION while the group has members;
     * NOT_FOUND if the topic does not exist.
     */
    public void resetOffsets(String group, String topic, ToLongFunction<TopicPartition> resolvedOffset) {
        resetOffsets(group, topic, -1, resolvedOffset);
    }

    /**
     * Like {@link #resetOffsets(String, String, ToLongFunction)} for one partition of the topic
     * ({@code partition} -1: all); NOT_FOUND if the topic has no such partition.
     */
    public void resetOffsets(String group, String topic, int partition, ToLongFunction<TopicPartition> resolvedOffset) {
        TopicNames.validateGroup(group);
        GroupNames.check("topic", topic);
        mutate(group, true, state -> {
            int partitions = partitionCount.applyAsInt(topic);
            if (partitions < 0) {
                throw GmqException.notFound(
                        "topic " + topic + " does not exist; cannot reset offsets of group " + group + " for it");
            }
            if (partition >= partitions) {
                throw GmqException.notFound("topic " + topic + " has " + partitions + " partitions; partition "
                        + partition + " does not exist");
            }
            state.resetOffsets(topic, partitions, partition, resolvedOffset);
            return null;
        });
    }

    /**
     * Deletes the group's committed offsets, so it is listed no more and a group of that name
     * starts afresh. FAILED_PRECONDITION while it has members; NOT_FOUND if it has neither members
     * nor offsets.
     */
    public void deleteGroup(String group) {
        TopicNames.validateGroup(group);
        Supplier<Void> absent = () -> {
            throw GmqException.notFound("group " + group + " has no members and no committed offsets");
        };
        mutate(
                group,
                false,
                state -> {
                    if (state.isEmpty()) {
                        return absent.get();
                    }
                    state.delete();
                    return null;
                },
                absent);
    }

    /** Removes members whose session timed out, in every group; returns how many. Run periodically. */
    public int expireMembers() {
        lock.lock();
        try {
            reloadFailedGroups();
            int expired = 0;
            for (String group : new ArrayList<>(groups.keySet())) {
                expired += mutate(
                        group,
                        false,
                        state -> state.expire(time.nanoTime(), partitionCount).size(),
                        () -> 0);
            }
            return expired;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Each member's last heartbeat on this coordinator's clock ({@code nanoTime}), by group and
     * member. Kept in memory only (a restart starts every session afresh), so a replica checkpoint
     * records it beside the SQLite copy: replicas must expire the same members at the same entry.
     */
    public SortedMap<String, SortedMap<String, Long>> lastHeartbeats() {
        lock.lock();
        try {
            SortedMap<String, SortedMap<String, Long>> all = new TreeMap<>();
            groups.forEach((name, state) -> all.put(name, state.lastHeartbeats()));
            return all;
        } finally {
            lock.unlock();
        }
    }

    /** Sets the last heartbeats of members that exist (from {@link #lastHeartbeats()} of a checkpoint); others are ignored. */
    public void restoreLastHeartbeats(Map<String, ? extends Map<String, Long>> heartbeats) {
        lock.lock();
        try {
            heartbeats.forEach((group, members) -> {
                GroupState state = groups.get(group);
                if (state != null) {
                    members.forEach(state::restoreLastHeartbeat);
                }
            });
        } finally {
            lock.unlock();
        }
    }

    /**
     * Forgets the topic's ownership, targets and committed offsets in every group and rebalances.
     * Call after the topic is gone from the partition-count lookup (a topic it still reports is
     * assigned again at once).
     */
    public void onTopicDeleted(String topic) {
        lock.lock();
        try {
            reloadFailedGroups();
            for (String group : new ArrayList<>(groups.keySet())) {
                mutate(
                        group,
                        false,
                        state -> {
                            state.topicDeleted(topic, partitionCount);
                            return null;
                        },
                        () -> null);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The durable state of a group as this coordinator holds it, or null. For tests and tools. */
    GroupSnapshot snapshot(String group) {
        return read(group, state -> state == null ? null : state.snapshot());
    }

    /** How many write transactions this coordinator has run. For tests. */
    long writeTransactions() {
        lock.lock();
        try {
            return writeTransactions;
        } finally {
            lock.unlock();
        }
    }

    // ---- internals ----------------------------------------------------------------------------

    private static GmqException unknownMember(String group, String memberId) {
        return new GmqException(
                ErrorCode.FAILED_PRECONDITION,
                "member " + memberId + " is not in group " + group + " (session expired or left); rejoin");
    }

    private <T> T mutate(String group, boolean create, Function<GroupState, T> transition) {
        return mutate(group, create, transition, () -> {
            throw new IllegalStateException("group " + group + " must exist");
        });
    }

    /**
     * Runs {@code transition} on the group and persists what it changed, all under the lock. If
     * the group does not exist: creates it when {@code create}, else answers {@code absent} (which
     * may throw).
     */
    private <T> T mutate(String group, boolean create, Function<GroupState, T> transition, Supplier<T> absent) {
        lock.lock();
        try {
            reloadFailedGroups();
            GroupState existing = groups.get(group);
            if (existing == null && !create) {
                return absent.get();
            }
            GroupState state = existing != null ? existing : new GroupState(group);
            T result;
            try {
                result = transition.apply(state);
            } catch (RuntimeException e) {
                if (existing != null) {
                    // Transitions validate before they change anything, but if one threw half-way
                    // the keys it touched are still valid values: persist them so memory = disk.
                    try {
                        persist(state);
                    } catch (RuntimeException persistFailure) {
                        e.addSuppressed(persistFailure);
                    }
                }
                throw e; // a group created for this call and refused by it is simply forgotten
            }
            groups.putIfAbsent(group, state);
            persist(state);
            return result;
        } finally {
            lock.unlock();
        }
    }

    private <T> T read(String group, Function<GroupState, T> query) {
        lock.lock();
        try {
            reloadFailedGroups();
            return query.apply(groups.get(group));
        } finally {
            lock.unlock();
        }
    }

    /** Writes the group's changed rows; on failure, marks the group for reload and rethrows. */
    private void persist(GroupState state) {
        GroupChanges changes = state.drainChanges();
        if (changes.isEmpty()) {
            return;
        }
        try {
            writeTransactions++;
            db.inTransaction(c -> {
                GroupStore.write(c, state, changes);
                return null;
            });
        } catch (RuntimeException e) {
            needsReload.add(state.name());
            groups.remove(state.name());
            throw e;
        }
        for (TopicPartition tp : changes.offsets()) {
            Long offset = state.offsets().get(tp);
            observer.committed(state.name(), tp, offset == null ? -1 : offset);
        }
    }

    /** Brings groups whose write failed back to what SQLite holds; throws if SQLite still fails. */
    private void reloadFailedGroups() {
        while (!needsReload.isEmpty()) {
            String group = needsReload.first();
            GroupSnapshot snapshot;
            try {
                snapshot = db.inTransaction(c -> GroupStore.load(c, group));
            } catch (GmqException e) {
                throw new GmqException(
                        e.code(),
                        "group state of " + group + " could not be reloaded after a failed write: " + e.getMessage(),
                        e);
            }
            if (snapshot != null) {
                groups.put(group, GroupState.restore(snapshot, time.nanoTime()));
            }
            needsReload.remove(group);
        }
    }
}
