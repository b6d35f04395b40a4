package io.gmq.client.internal;

import io.gmq.proto.Acks;
import io.gmq.proto.PartitionOffsets;
import io.gmq.storage.ShareAck;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A share-group member's releases, rejects and renews since the last flush, per kind and
 * partition, in wire form. Rare next to acks, so plain maps. Guarded by its subscription.
 */
final class ShareSettles {
    private final Map<Integer, PartitionOffsets.Builder> releases = new LinkedHashMap<>();
    private final Map<Integer, PartitionOffsets.Builder> rejects = new LinkedHashMap<>();
    private final Map<Integer, PartitionOffsets.Builder> renews = new LinkedHashMap<>();

    void add(ShareAck kind, String topic, int partition, long offset) {
        Map<Integer, PartitionOffsets.Builder> of = switch (kind) {
            case RELEASE -> releases;
            case REJECT -> rejects;
            case RENEW -> renews;
            case ACCEPT -> throw new IllegalArgumentException("accepts travel as acks");
        };
        of.computeIfAbsent(
                        partition,
                        p -> PartitionOffsets.newBuilder().setTopic(topic).setPartition(p))
                .addOffsets(offset);
    }

    boolean isEmpty() {
        return releases.isEmpty() && rejects.isEmpty() && renews.isEmpty();
    }

    /** Moves everything into {@code acks} and forgets it. */
    void drainTo(Acks.Builder acks) {
        releases.values().forEach(acks::addReleases);
        rejects.values().forEach(acks::addRejects);
        renews.values().forEach(acks::addRenews);
        clear();
    }

    void clear() {
        releases.clear();
        rejects.clear();
        renews.clear();
    }
}
