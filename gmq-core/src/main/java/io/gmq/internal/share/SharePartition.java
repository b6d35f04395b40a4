package io.gmq.internal.share;

import io.gmq.storage.ShareAck;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The share state of one partition in one share group: which records are handed out to which
 * member, until when, and how often. A pure state machine: time is passed in, the log's records
 * are passed in ({@link LogRecord}s read by the caller), nothing here does I/O.
 *
 * <p>Records below the <b>share start offset</b> are all settled. Records from it up to
 * {@link #nextOffset()} are <b>in flight</b>, each in one {@link RecordState}; records from
 * {@code nextOffset} on have never been handed out. Transitions (each one method):
 *
 * <pre>
 *   (new) --acquire--> ACQUIRED --accept--> ACCEPTED  (terminal)
 *                          |    --reject--> REJECTED  (terminal; the caller may dead-letter it)
 *                          |    --release / lock expiry / owner leaves--> AVAILABLE
 *                          |    --renew--> ACQUIRED (later deadline)
 *   AVAILABLE --acquire (once its availableAt passed)--> ACQUIRED
 * </pre>
 *
 * <p>Invariants: a record is ACQUIRED by at most one member; the share start offset never passes
 * a record that is not terminal; each acquisition adds one to the record's delivery count (a
 * release therefore counts as a delivery, like a nack in ordered groups). The in-flight window
 * holds at most {@code maxInFlight} records: new records are not taken on while it is full.
 *
 * <p>Key mode ({@code keyOrdered}): a record with a key is acquired only by the member that holds
 * its key; a member takes a key when nobody holds it, and holds it while it has acquired records
 * of that key, so a key moves only once its records are done (accepted, rejected, released, or
 * their lock expired). Within a key, a record is never acquired while an earlier record of that
 * key waits to be acquired again, so each key's records are acquired in offset order. Records
 * without a key have no order to keep and go to anyone.
 *
 * <p>Not thread-safe: the owner ({@link ShareGroups}) serialises calls.
 */
public final class SharePartition {
    /** Where one in-flight record is. */
    public enum RecordState {
        AVAILABLE,
        ACQUIRED,
        ACCEPTED,
        REJECTED;

        boolean terminal() {
            return this == ACCEPTED || this == REJECTED;
        }
    }

    /** A record as the log holds it: its offset and its key (null without one). */
    public record LogRecord(long offset, ByteBuffer key) {}

    /** One acquired record: its offset and its delivery count, this delivery included. */
    public record Acquired(long offset, int deliveryCount) {}

    private static final class InFlight {
        final long offset;
        final ByteBuffer key;
        RecordState state = RecordState.AVAILABLE;
        String owner;
        long deadline;
        long availableAt;
        int deliveryCount;

        InFlight(long offset, ByteBuffer key) {
            this.offset = offset;
            this.key = key;
        }
    }

    /** A member's hold on a key: how many records of the key it has acquired now. */
    private static final class KeyHold {
        final String owner;
        int acquired;

        KeyHold(String owner) {
            this.owner = owner;
        }
    }

    private final boolean keyOrdered;
    private final int maxInFlight;
    private final TreeMap<Long, InFlight> records = new TreeMap<>();
    private final Map<ByteBuffer, KeyHold> keys = new HashMap<>();
    private long startOffset;
    private long nextOffset;
    private int acquiredCount;
    /** Records in state AVAILABLE. */
    private int availableCount;
    /** No lock ends before this (a lower bound: expiry scans only once it has passed). */
    private long nextExpiry = Long.MAX_VALUE;

    /** A partition whose records below {@code startOffset} are settled and none is in flight. */
    public SharePartition(long startOffset, boolean keyOrdered, int maxInFlight) {
        if (maxInFlight <= 0) {
            throw new IllegalArgumentException("maxInFlight must be positive, was " + maxInFlight);
        }
        this.startOffset = startOffset;
        this.nextOffset = startOffset;
        this.keyOrdered = keyOrdered;
        this.maxInFlight = maxInFlight;
    }

    /** Every record below it is settled. */
    public long startOffset() {
        return startOffset;
    }

    /** The first offset never handed out. */
    public long nextOffset() {
        return nextOffset;
    }

    /** Records between the start offset and {@link #nextOffset()} that are not settled. */
    public int inFlight() {
        int n = 0;
        for (InFlight r : records.values()) {
            if (!r.state.terminal()) {
                n++;
            }
        }
        return n;
    }

    /** Records acquired by some member now. */
    public int acquired() {
        return acquiredCount;
    }

    /** Records waiting to be acquired again (released, or their lock ended). */
    public int availableCount() {
        return availableCount;
    }

    /** The state of {@code offset}: terminal below the start offset, null at or past {@link #nextOffset()}. */
    public RecordState state(long offset) {
        if (offset < startOffset) {
            return RecordState.ACCEPTED;
        }
        InFlight r = records.get(offset);
        return r == null ? null : r.state;
    }

    /** The member holding {@code offset} now, or null. */
    public String owner(long offset) {
        InFlight r = records.get(offset);
        return r == null || r.state != RecordState.ACQUIRED ? null : r.owner;
    }

    /** Deliveries of {@code offset} so far (0 if never acquired or settled long ago). */
    public int deliveryCount(long offset) {
        InFlight r = records.get(offset);
        return r == null ? 0 : r.deliveryCount;
    }

    /** The member holding {@code key} (key mode), or null. */
    public String keyHolder(ByteBuffer key) {
        KeyHold h = keys.get(key);
        return h == null ? null : h.owner;
    }

    /**
     * The lowest offset an acquisition may hand out: the first AVAILABLE in-flight record (even
     * one waiting for its backoff, so its key's order is seen), else {@link #nextOffset()}. The
     * caller reads the log from here for {@link #acquire}.
     */
    public long firstCandidate() {
        if (availableCount == 0) {
            return nextOffset;
        }
        for (InFlight r : records.values()) {
            if (r.state == RecordState.AVAILABLE) {
                return r.offset;
            }
        }
        return nextOffset;
    }

    /**
     * Acquires up to {@code max} records for {@code member} from {@code log} (the records read
     * from {@link #firstCandidate()} on, in offset order), locking each until {@code now +
     * lockNanos}. Expired locks are released first.
     */
    public List<Acquired> acquire(String member, int max, long now, long lockNanos, List<LogRecord> log) {
        expire(now);
        List<Acquired> out = new ArrayList<>();
        Set<ByteBuffer> blocked = keyOrdered ? new HashSet<>() : null;
        if (keyOrdered && !log.isEmpty()) {
            // Keys with a record waiting below what the caller read are blocked too (KEY_ORDER).
            for (InFlight r : records.headMap(log.get(0).offset()).values()) {
                if (r.state == RecordState.AVAILABLE && r.key != null) {
                    blocked.add(r.key);
                }
            }
        }
        for (LogRecord lr : log) {
            if (out.size() >= max) {
                break;
            }
            long offset = lr.offset();
            InFlight r;
            if (offset < startOffset) {
                continue;
            } else if (offset < nextOffset) {
                r = records.get(offset);
                if (r == null || r.state != RecordState.AVAILABLE) {
                    continue;
                }
            } else if (offset == nextOffset) {
                if (records.size() >= maxInFlight) {
                    break;
                }
                r = new InFlight(offset, keyOrdered ? lr.key() : null);
                records.put(offset, r);
                availableCount++;
                nextOffset = offset + 1;
            } else {
                break; // a gap would be a record never seen: stop at it, the next read starts there
            }
            if (r.availableAt > now || !mayTake(r, member, blocked)) {
                if (blocked != null && r.key != null) {
                    blocked.add(r.key);
                }
                continue;
            }
            take(r, member, now + lockNanos);
            out.add(new Acquired(offset, r.deliveryCount));
        }
        return out;
    }

    private boolean mayTake(InFlight r, String member, Set<ByteBuffer> blocked) {
        if (!keyOrdered || r.key == null) {
            return true;
        }
        if (blocked.contains(r.key)) {
            return false;
        }
        KeyHold h = keys.get(r.key);
        return h == null || h.owner.equals(member);
    }

    private void take(InFlight r, String member, long deadline) {
        availableCount--;
        nextExpiry = Math.min(nextExpiry, deadline);
        r.state = RecordState.ACQUIRED;
        r.owner = member;
        r.deadline = deadline;
        r.deliveryCount++;
        acquiredCount++;
        if (keyOrdered && r.key != null) {
            keys.computeIfAbsent(r.key, k -> new KeyHold(member)).acquired++;
        }
    }

    /** Ends {@code member}'s hold of an acquired record; it becomes {@code to}. */
    private void drop(InFlight r, RecordState to, long availableAt) {
        if (keyOrdered && r.key != null) {
            KeyHold h = keys.get(r.key);
            if (h != null && --h.acquired == 0) {
                keys.remove(r.key);
            }
        }
        acquiredCount--;
        if (to == RecordState.AVAILABLE) {
            availableCount++;
        }
        r.state = to;
        r.owner = null;
        r.availableAt = availableAt;
    }

    /**
     * Applies {@code kind} to {@code offset} if {@code member} holds it now; returns whether it
     * did (a record not acquired by {@code member}, or whose lock ended by {@code now}, is not
     * settled: too late, another member may have it or get it). {@code until}: for RELEASE the time it becomes available again (now for
     * at once), for RENEW the new lock deadline; unused otherwise.
     */
    public boolean settle(String member, long offset, ShareAck kind, long now, long until) {
        InFlight r = records.get(offset);
        if (r == null || r.state != RecordState.ACQUIRED || !r.owner.equals(member)) {
            return false;
        }
        if (r.deadline - now <= 0) {
            drop(r, RecordState.AVAILABLE, now); // the lock ended: too late, the record is anyone's again
            return false;
        }
        switch (kind) {
            case ACCEPT -> drop(r, RecordState.ACCEPTED, 0);
            case REJECT -> drop(r, RecordState.REJECTED, 0);
            case RELEASE -> drop(r, RecordState.AVAILABLE, until);
            case RENEW -> r.deadline = Math.max(r.deadline, until); // later: nextExpiry stays a lower bound
        }
        if (kind == ShareAck.ACCEPT || kind == ShareAck.REJECT) {
            advanceStart();
        }
        return true;
    }

    /** Makes every record whose lock ended by {@code now} available again; returns how many. */
    public int expire(long now) {
        if (acquiredCount == 0 || nextExpiry - now > 0) {
            return 0;
        }
        int n = 0;
        long next = Long.MAX_VALUE;
        for (InFlight r : records.values()) {
            if (r.state == RecordState.ACQUIRED) {
                if (r.deadline - now <= 0) {
                    drop(r, RecordState.AVAILABLE, now);
                    n++;
                } else {
                    next = Math.min(next, r.deadline);
                }
            }
        }
        nextExpiry = next;
        return n;
    }

    /** {@code member} left or its session ended: its records are available again at once. */
    public int memberLeft(String member, long now) {
        if (acquiredCount == 0) {
            return 0;
        }
        int n = 0;
        for (InFlight r : records.values()) {
            if (r.state == RecordState.ACQUIRED && r.owner.equals(member)) {
                drop(r, RecordState.AVAILABLE, now);
                n++;
            }
        }
        return n;
    }

    /**
     * The log no longer has records below {@code logStartOffset} (retention): in-flight state
     * below it is dropped and the start offset moves up to it.
     */
    public void skipTo(long logStartOffset) {
        if (logStartOffset <= startOffset) {
            return;
        }
        for (Iterator<InFlight> it = records.headMap(logStartOffset).values().iterator(); it.hasNext(); ) {
            InFlight r = it.next();
            if (r.state == RecordState.ACQUIRED) {
                drop(r, RecordState.ACCEPTED, 0);
            } else if (r.state == RecordState.AVAILABLE) {
                availableCount--;
            }
            it.remove();
        }
        startOffset = logStartOffset;
        nextOffset = Math.max(nextOffset, logStartOffset);
        advanceStart();
    }

    private void advanceStart() {
        while (!records.isEmpty() && records.firstEntry().getValue().state.terminal()) {
            startOffset = records.pollFirstEntry().getKey() + 1;
        }
        if (records.isEmpty()) {
            startOffset = nextOffset;
        }
    }
}
