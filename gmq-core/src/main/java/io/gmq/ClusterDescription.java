package io.gmq;

import java.util.List;

/**
 * The storage groups of a replicated storage cluster as their leader sees them: members, leader,
 * term, commit index, and how far each member is behind (what {@code gmq cluster describe}
 * prints).
 */
public record ClusterDescription(List<StorageGroup> groups) {
    public ClusterDescription {
        groups = List.copyOf(groups);
    }

    /** {@code leader} is empty during an election. */
    public record StorageGroup(String name, String leader, long term, long commitIndex, List<Node> members) {
        public StorageGroup {
            members = List.copyOf(members);
        }
    }

    /**
     * {@code up}: the leader heard from it within the election timeout; {@code commitIndex} and
     * {@code lag} are -1 when unknown; {@code storageAddress} is empty until the node announced it.
     */
    public record Node(String id, String raftAddress, String storageAddress, boolean up, long commitIndex, long lag) {}
}
