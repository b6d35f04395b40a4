package io.gmq.broker;

/**
 * This broker's view of one group member's session, as a pure state machine: which member id
 * and generation it holds, and until when its ownership of partitions is certain. Every
 * transition takes the time it is about ({@code nanos}, monotonic, from the engine's
 * {@link io.gmq.TimeSource}) as an argument; no clock reads, no I/O, no threads. Not
 * thread-safe: {@link GroupSubscription} calls it under its monitor.
 *
 * <p>The lease. Storage expires a member a session timeout after its last join or heartbeat
 * arrived, so the broker may count on owning its partitions only for a session timeout after it
 * <em>sent</em> the last join or heartbeat that storage answered: past that, storage may have
 * expired it and handed its partitions to another member (this broker was paused, or cut off from
 * storage), so nothing is fetched or delivered until a heartbeat confirms it or fences it. Without
 * it a broker resumed after SIGSTOP delivers records its member no longer owns before its next
 * heartbeat.
 *
 * <pre>
 *   UNJOINED --joined--> JOINED --fenced--> FENCED --joined, or a heartbeat answered for the id--> JOINED
 *   any --close--> CLOSED (terminal)
 * </pre>
 *
 * <h2>Invariants (checked by MemberLeasePropertiesTest)</h2>
 * <ul>
 *   <li>The lease is valid at {@code now} only while JOINED and less than a session timeout after
 *       the send time of the last answered join or heartbeat of the current member id.</li>
 *   <li>A fenced, unjoined or closed member's lease is never valid; CLOSED is terminal.</li>
 *   <li>For one member id, the lease start and the generation never move back: an answer that
 *       arrives after a newer one changes neither, and an answer for another member id (or any
 *       answer once closed) changes nothing at all.</li>
 * </ul>
 */
final class MemberLease {
    enum State {
        /** Before the first join answered. */
        UNJOINED,
        /** A member of the group; the lease runs from {@link #leaseFromNanos()}. */
        JOINED,
        /** Storage no longer knows this member id (session expired while away): rejoin. */
        FENCED,
        /** Left, or crashed on purpose; nothing more happens. */
        CLOSED
    }

    private final long sessionTimeoutNanos;
    private State state = State.UNJOINED;
    private String memberId;
    private int generation;
    private long leaseFromNanos;

    MemberLease(long sessionTimeoutNanos) {
        if (sessionTimeoutNanos <= 0) {
            throw new IllegalArgumentException("session timeout must be positive, was " + sessionTimeoutNanos + " ns");
        }
        this.sessionTimeoutNanos = sessionTimeoutNanos;
    }

    /**
     * A join sent at {@code sentNanos} was answered with a (new) member id: the lease runs from
     * the send. Ignored once closed (the caller leaves the group with the id it was given).
     *
     * @return whether the member now holds this id
     */
    boolean joined(String newMemberId, int newGeneration, long sentNanos) {
        if (state == State.CLOSED) {
            return false;
        }
        state = State.JOINED;
        memberId = newMemberId;
        generation = newGeneration;
        leaseFromNanos = sentNanos;
        return true;
    }

    /**
     * A heartbeat of {@code answeredId}, sent at {@code sentNanos}, was answered with
     * {@code answeredGeneration}: renews the lease and takes the generation, if the answer is for
     * the current member id. Storage answering for the id proves it still knows the member, so a
     * fenced member is joined again. Two heartbeats may be in flight at once (the engine's group
     * executor has two threads): one sent before an answer already applied renews nothing.
     *
     * @return whether the answer is this member's (its assignment is to be applied)
     */
    boolean heartbeatAnswered(String answeredId, int answeredGeneration, long sentNanos) {
        if (!isCurrent(answeredId)) {
            return false;
        }
        state = State.JOINED;
        if (sentNanos - leaseFromNanos > 0) {
            leaseFromNanos = sentNanos;
        }
        generation = Math.max(generation, answeredGeneration);
        return true;
    }

    /**
     * Takes the generation of an answer for {@code answeredId} (a join's, or one a heartbeat already
     * renewed the lease with), if it is for the current member id.
     *
     * @return whether the answer is this member's
     */
    boolean assignmentAnswered(String answeredId, int answeredGeneration) {
        if (!isCurrent(answeredId)) {
            return false;
        }
        generation = Math.max(generation, answeredGeneration);
        return true;
    }

    /** Storage rejected a heartbeat: this member id is gone. Only a join makes the lease valid again. */
    void fenced() {
        if (state == State.JOINED) {
            state = State.FENCED;
        }
    }

    void close() {
        state = State.CLOSED;
    }

    /** Whether the member may fetch and deliver its partitions at {@code nowNanos}. */
    boolean valid(long nowNanos) {
        return state == State.JOINED && nowNanos - leaseFromNanos < sessionTimeoutNanos;
    }

    /** Whether answers for {@code id} are this member's: joined or fenced under that id, not closed. */
    boolean isCurrent(String id) {
        return (state == State.JOINED || state == State.FENCED) && id.equals(memberId);
    }

    State state() {
        return state;
    }

    /** The member id storage gave the last answered join; null before the first. */
    String memberId() {
        return memberId;
    }

    int generation() {
        return generation;
    }

    long leaseFromNanos() {
        return leaseFromNanos;
    }

    long sessionTimeoutNanos() {
        return sessionTimeoutNanos;
    }
}
