package io.gmq.net.cluster;

import io.gmq.net.storage.StorageShards;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * One Raft group of a storage cluster as a node holds it: the metadata group or a data group
 * ({@link StorageShards}), with the state machine that applies its entries on this node.
 *
 * @param name         as cluster describe and the logs name it: {@code metadata}, {@code data-0}, ...
 * @param id           the Raft group id, derived from the name (the same on every node)
 * @param index        0 for the metadata group, 1 + i for data group i
 * @param stateMachine this node's replica of the group
 */
record RaftShard(String name, RaftGroupId id, int index, StorageStateMachine stateMachine) {

    /** The metadata group's id: the id of the one group of a cluster before data groups existed. */
    static final RaftGroupId METADATA_ID = groupId("gmq-storage");

    static RaftGroupId idOf(int index) {
        return index == 0 ? METADATA_ID : groupId("gmq-storage-" + nameOf(index));
    }

    static String nameOf(int index) {
        return index == 0 ? StorageShards.METADATA : StorageShards.dataGroupName(index - 1);
    }

    private static RaftGroupId groupId(String name) {
        return RaftGroupId.valueOf(UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)));
    }

    boolean isMetadata() {
        return index == 0;
    }
}
