package io.gmq.internal.group;

/**
 * Who holds one partition in a group and who should. {@code owner} is the member allowed to
 * deliver and commit the partition now; {@code target} is the member the assignor wants it to go
 * to. Either may be null; a slot with both null is not stored.
 *
 * <p>Owner and target differ only while a partition moves: the old owner keeps it ("revoking")
 * until it confirms release, then the slot has no owner until the target acquires it.
 *
 * <p>{@code ownerGeneration} is the group generation at which the current owner acquired the
 * partition (0 with no owner). A commit carrying an older generation is from before that
 * acquisition, when the partition was elsewhere or in an earlier ownership of the same member,
 * and is refused. A static member that rejoins takes its slots over with their generation: its
 * partitions did not move.
 */
record PartitionSlot(String owner, String target, int ownerGeneration) {
    static final PartitionSlot EMPTY = new PartitionSlot(null, null, 0);

    PartitionSlot(String owner, String target) {
        this(owner, target, 0);
    }

    boolean isEmpty() {
        return owner == null && target == null;
    }

    boolean isRevoking() {
        return owner != null && !owner.equals(target);
    }
}
