package io.gmq.internal.group;

/**
 * Who holds one partition in a group and who should. {@code owner} is the member allowed to
 * deliver and commit the partition now; {@code target} is the member the assignor wants it to go
 * to. Either may be null; a slot with both null is not stored.
 *
 * <p>Owner and target differ only while a partition moves: the old owner keeps it ("revoking")
 * until it confirms release, then the slot has no owner until the target acquires it.
 */
record PartitionSlot(String owner, String target) {
    static final PartitionSlot EMPTY = new PartitionSlot(null, null);

    boolean isEmpty() {
        return owner == null && target == null;
    }

    boolean isRevoking() {
        return owner != null && !owner.equals(target);
    }
}
