package io.gmq.internal.group;

import java.util.SortedSet;

/**
 * The persisted, immutable part of a member: fixed at join. A client that wants other topics
 * leaves and joins again (and gets a new member id), so subscriptions never change in place.
 *
 * @param instanceId the static member's group instance id, or null for a dynamic member
 */
record GroupMember(
        String memberId, String clientId, SortedSet<String> topics, long sessionTimeoutMillis, String instanceId) {
    GroupMember {
        topics = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(topics));
    }

    /** A dynamic member (no group instance id). */
    GroupMember(String memberId, String clientId, SortedSet<String> topics, long sessionTimeoutMillis) {
        this(memberId, clientId, topics, sessionTimeoutMillis, null);
    }

    boolean isStatic() {
        return instanceId != null;
    }
}
