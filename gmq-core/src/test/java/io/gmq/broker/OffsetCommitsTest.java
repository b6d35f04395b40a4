package io.gmq.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gmq.TopicPartition;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a periodic commit sends: the lowest unacknowledged offset of each partition that moved. */
class OffsetCommitsTest {
    private static final TopicPartition A = new TopicPartition("t", 0);
    private static final TopicPartition B = new TopicPartition("t", 1);

    @Test
    void progressIsTheLowestUnacknowledgedOffsetOfEachPartitionThatMoved() {
        OwnedPartition a = new OwnedPartition(A, 10, 100);
        a.window.deliveredRange(100, 105, true, 0);
        a.window.ackRange(100, 102);
        a.window.ack(103); // 102 is still unacknowledged: the commit stops there
        OwnedPartition b = new OwnedPartition(B, 10, 50);
        b.window.deliveredRange(50, 52, true, 0);

        assertEquals(Map.of(A, 102L), OffsetCommits.progress(List.of(a, b)));
    }

    @Test
    void aPartitionAlreadyCommittedThatFarIsLeftOut() {
        OwnedPartition a = new OwnedPartition(A, 10, 100);
        a.window.deliveredRange(100, 103, true, 0);
        a.window.ackRange(100, 103);
        a.committed = 103;

        assertEquals(Map.of(), OffsetCommits.progress(List.of(a)));
    }
}
