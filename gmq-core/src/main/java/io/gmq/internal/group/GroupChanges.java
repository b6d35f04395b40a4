package io.gmq.internal.group;

import io.gmq.TopicPartition;
import java.util.Set;

/**
 * What one transition changed in a {@link GroupState}: the keys whose persisted rows must be
 * rewritten from the state's current values (a key absent from the state now means "delete its
 * row"). Keys, not values, so several transitions fold into one write.
 */
record GroupChanges(boolean groupRow, Set<String> members, Set<TopicPartition> slots, Set<TopicPartition> offsets) {
    boolean isEmpty() {
        return !groupRow && members.isEmpty() && slots.isEmpty() && offsets.isEmpty();
    }
}
