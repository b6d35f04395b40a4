package io.gmq.internal.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gmq.TopicPartition;
import io.gmq.internal.state.StateDb;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The table behind the schedule: due rows come earliest first, within a row and a byte budget. */
class ScheduleStoreTest {
    @TempDir
    Path dir;

    private static final TopicPartition TP = new TopicPartition("t", 0);

    @Test
    void dueRowsComeEarliestFirstWithinTheByteBudgetButAtLeastOne() {
        try (StateDb db = StateDb.open(dir)) {
            ScheduleStore store = new ScheduleStore(db);
            long[] ids = store.insert(List.of(
                    new ScheduleStore.NewEntry(TP, 300, 1, new byte[100]),
                    new ScheduleStore.NewEntry(TP, 100, 1, new byte[100]),
                    new ScheduleStore.NewEntry(TP, 200, 1, new byte[100]),
                    new ScheduleStore.NewEntry(TP, 900, 1, new byte[100])));
            assertEquals(
                    List.of(ids[1], ids[2], ids[0]),
                    store.due(500, 10, 1_000).stream()
                            .map(ScheduleStore.Entry::id)
                            .toList());
            assertEquals(
                    List.of(ids[1], ids[2]),
                    store.due(500, 10, 250).stream()
                            .map(ScheduleStore.Entry::id)
                            .toList());
            assertEquals(
                    List.of(ids[1]),
                    store.due(500, 10, 1).stream().map(ScheduleStore.Entry::id).toList());
            assertEquals(
                    List.of(ids[1]),
                    store.due(500, 1, 1_000).stream()
                            .map(ScheduleStore.Entry::id)
                            .toList());
            assertEquals(100, store.earliestDue());
            assertEquals(400, store.totals().get(TP)[1]);
        }
    }
}
