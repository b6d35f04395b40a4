package io.gmq.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gmq.TopicPartition;
import org.junit.jupiter.api.Test;

/** How much a fetch asks for, from the record size the last fetch showed. */
class PartitionDeliveryTest {
    private static final TopicPartition A = new TopicPartition("t", 0);

    @Test
    void aFetchAsksForAboutWhatTheWindowCanTakeWithinBounds() {
        OwnedPartition p = new OwnedPartition(A, 10, 0);
        assertEquals(PartitionDelivery.FETCH_MAX_BYTES, PartitionDelivery.fetchBytes(p, 10), "size not yet known");
        p.bytesPerRecord = 100;
        assertEquals(PartitionDelivery.FETCH_MIN_BYTES, PartitionDelivery.fetchBytes(p, 10));
        assertEquals(100 * 1000, PartitionDelivery.fetchBytes(p, 1000));
        assertEquals(PartitionDelivery.FETCH_MAX_BYTES, PartitionDelivery.fetchBytes(p, 1_000_000));
    }
}
