package io.gmq.internal.group;

import java.util.SortedSet;

/**
 * The persisted, immutable part of a member: fixed at join. A client that wants other topics
 * leaves and joins again (and gets a new member id), so subscriptions never change in place.
 */
record GroupMember(String memberId, String clientId, SortedSet<String> topics, long sessionTimeoutMillis) {
    GroupMember {
        topics = java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(topics));
    }
}
