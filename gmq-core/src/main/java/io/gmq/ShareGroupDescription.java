package io.gmq;

import java.util.List;
import java.util.Set;

/**
 * A share group ({@link GroupType#SHARE}): its members and, per partition, the share start offset
 * (every record below it is settled) and the records in flight.
 */
public record ShareGroupDescription(String group, Ordering ordering, List<Member> members, List<Partition> partitions) {

    public record Member(String memberId, String clientId, Set<String> topics, long lastHeartbeatAgeMillis) {}

    /**
     * @param startOffset  every record below it is settled (-1 before the group's first acquisition)
     * @param inFlight     records between the start offset and the next offset not yet settled
     * @param acquired     of those, records locked by a member now
     */
    public record Partition(
            TopicPartition topicPartition, long startOffset, int inFlight, int acquired, long highWatermark) {
        /** Records not yet settled: from the start offset to the end of the log. */
        public long lag() {
            return startOffset < 0 ? highWatermark : Math.max(0, highWatermark - startOffset);
        }
    }
}
