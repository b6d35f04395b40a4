package io.gmq.storage;

import io.gmq.TopicPartition;
import java.util.Set;

/**
 * A member's view of its group after join or heartbeat: its id, the group generation, and the
 * partitions it owns now. Partitions that left the set must no longer be delivered by this member;
 * it confirms it let them go by leaving them out of {@code owned} in its next heartbeat.
 * Partitions it may not own yet (another member is still releasing them) arrive in a later
 * heartbeat.
 */
public record GroupMembership(
        String group, String memberId, int generation, Set<TopicPartition> assigned, long sessionTimeoutMillis) {}
