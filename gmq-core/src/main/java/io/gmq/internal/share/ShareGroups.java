package io.gmq.internal.share;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.OffsetSpec;
import io.gmq.Ordering;
import io.gmq.ShareGroupDescription;
import io.gmq.TimeSource;
import io.gmq.TopicPartition;
import io.gmq.internal.group.GroupCoordinator;
import io.gmq.internal.state.StateDb;
import io.gmq.internal.topic.TopicNames;
import io.gmq.storage.BatchReader;
import io.gmq.storage.FetchResult;
import io.gmq.storage.ShareAck;
import io.gmq.storage.ShareAcquisition;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The share groups of one storage node: members with sessions, and one {@link SharePartition}
 * per partition a group consumed, in memory, with the share start offsets persisted to SQLite
 * ({@link ShareStore}) by {@link #flush()}, which the storage's timer runs every 100 ms and its
 * close runs once more. A restart therefore delivers again the in-flight records and at most the
 * records settled in the last flush interval (at least once).
 *
 * <p>Every share group's state is here, in the one storage that holds its partitions, so members
 * connected to different brokers never hand out the same record twice.
 *
 * <p>Thread-safe: one monitor serialises every call; log reads (the caller's {@link ShareLog})
 * happen under it and must not block (local reads of written bytes).
 */
public final class ShareGroups {
    /** How much of the log one acquisition reads at most. */
    static final int READ_BYTES = 256 * 1024;

    /** The log as share groups read it. */
    public interface ShareLog {
        /** Frames from {@code offset}, at most about {@code maxBytes}; empty at the end of the log. */
        FetchResult read(TopicPartition tp, long offset, int maxBytes);

        /** The offset {@code spec} names now (where a partition the group never consumed starts). */
        long resolve(TopicPartition tp, OffsetSpec spec);

        /** Partitions of {@code topic}, or -1 if it does not exist. */
        int partitions(String topic);
    }

    private static final class Member {
        final String clientId;
        final Set<String> topics;
        final long sessionNanos;
        long deadline;
        long lastSeen;

        Member(String clientId, Set<String> topics, long sessionNanos, long now) {
            this.clientId = clientId;
            this.topics = Set.copyOf(topics);
            this.sessionNanos = sessionNanos;
            seen(now);
        }

        void seen(long now) {
            lastSeen = now;
            deadline = now + sessionNanos;
        }
    }

    private static final class Group {
        final boolean keyOrdered;
        final Map<String, Member> members = new TreeMap<>();
        final Map<TopicPartition, SharePartition> partitions = new TreeMap<>();
        final Map<TopicPartition, Long> persisted;
        OffsetSpec startFrom = OffsetSpec.earliest();

        Group(boolean keyOrdered, Map<TopicPartition, Long> persisted) {
            this.keyOrdered = keyOrdered;
            this.persisted = persisted;
        }
    }

    private final StateDb db;
    private final TimeSource time;
    private final ShareLog log;
    private final int maxInFlight;
    private final Predicate<String> orderedGroupExists;
    private final Map<String, Group> groups = new TreeMap<>();

    /**
     * @param maxInFlight        bound of each partition's in-flight window
     * @param orderedGroupExists whether an ordered consumer group of that name exists (a name has one type)
     */
    public ShareGroups(
            StateDb db, TimeSource time, ShareLog log, int maxInFlight, Predicate<String> orderedGroupExists) {
        this.db = db;
        this.time = time;
        this.log = log;
        this.maxInFlight = maxInFlight;
        this.orderedGroupExists = orderedGroupExists;
        ShareStore.migrate(db);
        ShareStore.loadGroups(db)
                .forEach((name, keyOrdered) ->
                        groups.put(name, new Group(keyOrdered, ShareStore.loadOffsets(db, name))));
    }

    /** Whether {@code group} is a share group. */
    public synchronized boolean isShareGroup(String group) {
        return groups.containsKey(group);
    }

    public synchronized List<String> listGroups() {
        return List.copyOf(groups.keySet());
    }

    /** Adds a member; returns its id. FAILED_PRECONDITION if the name is an ordered group's or the ordering differs from the live members'. */
    public synchronized String join(
            String group,
            String clientId,
            Set<String> topics,
            long sessionTimeoutMillis,
            Ordering ordering,
            OffsetSpec startFrom) {
        TopicNames.validateGroup(group);
        if (topics == null || topics.isEmpty()) {
            throw GmqException.invalidArgument("a member of group " + group + " must subscribe to at least one topic");
        }
        if (sessionTimeoutMillis <= 0 || sessionTimeoutMillis > GroupCoordinator.MAX_SESSION_TIMEOUT_MILLIS) {
            throw GmqException.invalidArgument("session timeout must be between 1 and "
                    + GroupCoordinator.MAX_SESSION_TIMEOUT_MILLIS + " ms, was " + sessionTimeoutMillis);
        }
        boolean keyOrdered = ordering == Ordering.KEY;
        if (orderedGroupExists.test(group)) {
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "group '" + group + "' is an ordered consumer group; join it without groupType(SHARE), "
                            + "or choose another group name for a share group");
        }
        Group g = groups.get(group);
        if (g == null || g.keyOrdered != keyOrdered) {
            if (g != null && !g.members.isEmpty()) {
                throw new GmqException(
                        ErrorCode.FAILED_PRECONDITION,
                        "share group '" + group + "' has members with ordering " + (g.keyOrdered ? "KEY" : "PARTITION")
                                + "; join it with that ordering, or choose another group name");
            }
            if (g != null) {
                flush(); // the old state's start offsets, which the new one starts from
            }
            Map<TopicPartition, Long> persisted = g == null ? new HashMap<>() : g.persisted;
            ShareStore.writeGroup(db, group, keyOrdered);
            g = new Group(keyOrdered, persisted);
            groups.put(group, g);
        }
        if (g.members.isEmpty() && startFrom != null) {
            g.startFrom = startFrom;
        }
        String memberId = clientId + "-" + UUID.randomUUID();
        g.members.put(memberId, new Member(clientId, topics, sessionTimeoutMillis * 1_000_000L, time.nanoTime()));
        return memberId;
    }

    /** Keeps the member's session alive. FAILED_PRECONDITION if it is unknown (left, or its session ended). */
    public synchronized void heartbeat(String group, String memberId) {
        member(group, memberId).seen(time.nanoTime());
    }

    /** The member leaves; its acquired records are available again at once. Unknown members are ignored. */
    public synchronized void leave(String group, String memberId) {
        Group g = groups.get(group);
        if (g != null && g.members.remove(memberId) != null) {
            long now = time.nanoTime();
            g.partitions.values().forEach(p -> p.memberLeft(memberId, now));
        }
    }

    /** Removes members whose session ended (their records become available); returns how many. */
    public synchronized int expireMembers() {
        long now = time.nanoTime();
        int n = 0;
        for (Group g : groups.values()) {
            for (var it = g.members.entrySet().iterator(); it.hasNext(); ) {
                var e = it.next();
                if (e.getValue().deadline - now <= 0) {
                    it.remove();
                    g.partitions.values().forEach(p -> p.memberLeft(e.getKey(), now));
                    n++;
                }
            }
        }
        return n;
    }

    /**
     * Acquires up to {@code max} records of {@code tp} for the member, locked for {@code lockMillis}.
     * Counts as a heartbeat. FAILED_PRECONDITION for an unknown member, INVALID_ARGUMENT for a
     * partition of a topic it did not subscribe to.
     */
    public synchronized ShareAcquisition acquire(
            String group, String memberId, TopicPartition tp, int max, long lockMillis) {
        if (max <= 0 || lockMillis <= 0) {
            throw GmqException.invalidArgument("acquire needs a positive record count and lock duration, was " + max
                    + " and " + lockMillis + " ms");
        }
        Member m = member(group, memberId);
        long now = time.nanoTime();
        m.seen(now);
        if (!m.topics.contains(tp.topic())) {
            throw GmqException.invalidArgument(
                    "member " + memberId + " of share group " + group + " did not subscribe to topic " + tp.topic());
        }
        SharePartition p = partition(groups.get(group), tp);
        p.expire(now);
        long from = p.firstCandidate();
        FetchResult read = log.read(tp, from, READ_BYTES);
        if (read.isEmpty() && read.logStartOffset() > from) {
            p.skipTo(read.logStartOffset()); // retention removed records the group never settled
            from = p.firstCandidate();
            read = log.read(tp, from, READ_BYTES);
        }
        if (read.isEmpty()) {
            return ShareAcquisition.EMPTY;
        }
        ByteBuffer frames = read.records();
        List<SharePartition.LogRecord> records = new ArrayList<>();
        BatchReader reader = new BatchReader(frames.duplicate());
        boolean keys = groups.get(group).keyOrdered;
        // Enough records to fill the request: the waiting ones, then new ones (more in key mode,
        // where held keys skip records).
        int enough = p.availableCount() + (keys ? 4 * max : max);
        while (records.size() < enough && reader.next()) {
            if (reader.offset() < from) {
                continue; // the read starts at the batch holding {@code from}
            }
            records.add(new SharePartition.LogRecord(
                    reader.offset(), keys && reader.hasKey() ? ByteBuffer.wrap(reader.key()) : null));
        }
        List<SharePartition.Acquired> got = p.acquire(memberId, max, now, lockMillis * 1_000_000L, records);
        if (got.isEmpty()) {
            return ShareAcquisition.EMPTY;
        }
        long[] offsets = new long[got.size()];
        int[] counts = new int[got.size()];
        for (int i = 0; i < offsets.length; i++) {
            offsets[i] = got.get(i).offset();
            counts[i] = got.get(i).deliveryCount();
        }
        return new ShareAcquisition(
                ShareAcquisition.framesFor(frames, offsets[0], offsets[offsets.length - 1] + 1), offsets, counts);
    }

    /** The first offset an acquisition of {@code tp} would wait for new records at (long poll). */
    public synchronized long waitOffset(String group, TopicPartition tp) {
        Group g = groups.get(group);
        SharePartition p = g == null ? null : g.partitions.get(tp);
        return p == null ? -1 : p.nextOffset();
    }

    /**
     * Applies {@code kind} to the member's records at {@code offsets}; returns how many it held.
     * {@code millis}: RELEASE's delay (0: available at once), RENEW's new lock duration.
     * Counts as a heartbeat. FAILED_PRECONDITION for an unknown member.
     */
    public synchronized int settle(
            String group, String memberId, TopicPartition tp, long[] offsets, ShareAck kind, long millis) {
        if (millis < 0) {
            throw GmqException.invalidArgument("a settle delay or lock duration must not be negative, was " + millis);
        }
        Member m = member(group, memberId);
        long now = time.nanoTime();
        m.seen(now);
        SharePartition p = groups.get(group).partitions.get(tp);
        if (p == null) {
            return 0;
        }
        long until = now + millis * 1_000_000L;
        int n = 0;
        for (long offset : offsets) {
            if (p.settle(memberId, offset, kind, now, until)) {
                n++;
            }
        }
        return n;
    }

    /** Writes every start offset that moved since the last flush (one transaction). */
    public synchronized void flush() {
        Map<String, Map<TopicPartition, Long>> dirty = new HashMap<>();
        groups.forEach((name, g) -> g.partitions.forEach((tp, p) -> {
            Long was = g.persisted.get(tp);
            if (was == null || was != p.startOffset()) {
                dirty.computeIfAbsent(name, k -> new HashMap<>()).put(tp, p.startOffset());
            }
        }));
        if (dirty.isEmpty()) {
            return;
        }
        ShareStore.writeOffsets(db, dirty);
        dirty.forEach((name, offsets) -> groups.get(name).persisted.putAll(offsets));
    }

    /** The group as {@code gmq groups describe} shows it; NOT_FOUND if it is not a share group. */
    public synchronized ShareGroupDescription describe(
            String group, java.util.function.ToLongFunction<TopicPartition> end) {
        Group g = groups.get(group);
        if (g == null) {
            throw GmqException.notFound("share group '" + group + "' does not exist");
        }
        long now = time.nanoTime();
        List<ShareGroupDescription.Member> members = new ArrayList<>();
        Set<String> topics = new java.util.TreeSet<>();
        g.members.forEach((id, m) -> {
            members.add(new ShareGroupDescription.Member(
                    id, m.clientId, m.topics, Math.max(0, (now - m.lastSeen) / 1_000_000L)));
            topics.addAll(m.topics);
        });
        Map<TopicPartition, ShareGroupDescription.Partition> parts = new TreeMap<>();
        g.persisted.forEach((tp, start) ->
                parts.put(tp, new ShareGroupDescription.Partition(tp, start, 0, 0, end.applyAsLong(tp))));
        for (String t : topics) {
            for (int i = 0; i < Math.max(0, log.partitions(t)); i++) {
                TopicPartition tp = new TopicPartition(t, i);
                parts.putIfAbsent(tp, new ShareGroupDescription.Partition(tp, -1, 0, 0, end.applyAsLong(tp)));
            }
        }
        g.partitions.values().forEach(p -> p.expire(now));
        g.partitions.forEach((tp, p) -> parts.put(
                tp,
                new ShareGroupDescription.Partition(
                        tp, p.startOffset(), p.inFlight(), p.acquired(), end.applyAsLong(tp))));
        return new ShareGroupDescription(
                group, g.keyOrdered ? Ordering.KEY : Ordering.PARTITION, members, List.copyOf(parts.values()));
    }

    /** Deletes a share group without members. FAILED_PRECONDITION while it has members. */
    public synchronized void delete(String group) {
        Group g = groups.get(group);
        if (g == null) {
            throw GmqException.notFound("share group '" + group + "' does not exist");
        }
        if (!g.members.isEmpty()) {
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "share group '" + group + "' has " + g.members.size() + " member(s); stop them first");
        }
        ShareStore.deleteGroup(db, group);
        groups.remove(group);
    }

    /** Forgets the share state of a deleted topic's partitions. */
    public synchronized void onTopicDeleted(String topic) {
        for (Group g : groups.values()) {
            g.partitions.keySet().removeIf(tp -> tp.topic().equals(topic));
            g.persisted.keySet().removeIf(tp -> tp.topic().equals(topic));
        }
        ShareStore.deleteTopic(db, topic);
    }

    private Member member(String group, String memberId) {
        Group g = groups.get(group);
        Member m = g == null ? null : g.members.get(memberId);
        if (m == null) {
            throw new GmqException(
                    ErrorCode.FAILED_PRECONDITION,
                    "member " + memberId + " is not in share group " + group
                            + " (left, or its session ended); join again");
        }
        return m;
    }

    private SharePartition partition(Group g, TopicPartition tp) {
        SharePartition p = g.partitions.get(tp);
        if (p == null) {
            Long start = g.persisted.get(tp);
            p = new SharePartition(start != null ? start : log.resolve(tp, g.startFrom), g.keyOrdered, maxInFlight);
            g.partitions.put(tp, p);
        }
        return p;
    }
}
