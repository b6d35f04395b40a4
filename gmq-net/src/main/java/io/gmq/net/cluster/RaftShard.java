package io.gmq.net.cluster;

import io.gmq.net.storage.StorageShards;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.apache.ratis.protocol.RaftGroupId;

/**
 * One Raft group of a storage cluster: the metadata group or a data group ({@link StorageShards}).
 * A node holds the metadata group and the data groups {@link Placement} gave it; its state
 * machine for a group it holds is {@link StorageNode#stateMachine}.
 *
 * @param name  as cluster describe and the logs name it: {@code metadata}, {@code data-0}, ...
 * @param id    the Raft group id, derived from the name (the same on every node)
 * @param index 0 for the metadata group, 1 + i for data group i
 */
record RaftShard(String name, RaftGroupId id, int index) {

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

    static RaftShard of(int index) {
        return new RaftShard(nameOf(index), idOf(index), index);
    }

    boolean isMetadata() {
        return index == 0;
    }

    /** The data group's number (its index in {@link StorageShards}); -1 for the metadata group. */
    int dataGroup() {
        return index - 1;
    }
}
