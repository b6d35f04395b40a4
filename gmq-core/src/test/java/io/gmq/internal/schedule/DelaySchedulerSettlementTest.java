package io.gmq.internal.schedule;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gmq.ErrorCode;
import io.gmq.GmqConfig;
import io.gmq.GmqException;
import io.gmq.ScheduleLimits;
import io.gmq.TopicPartition;
import io.gmq.internal.state.StateDb;
import io.gmq.internal.storage.LocalStorage;
import io.gmq.storage.AppendResult;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.FetchResult;
import io.gmq.testkit.ManualClock;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Settling over a real partition log: a firing whose append reached the log but whose
 * acknowledgement was lost (then the scheduler stopped, as in a crash) is found by its schedule id
 * in the log after a restart and not appended again; one whose append never happened fires again.
 */
class DelaySchedulerSettlementTest {
    private static final TopicPartition TP = new TopicPartition("t", 0);

    @TempDir
    Path dir;

    @Test
    void anAppendedFiringIsFoundInTheLogAndALostOneFiresAgain() {
        ManualClock clock = new ManualClock();
        try (LocalStorage storage = LocalStorage.open(
                        GmqConfig.builder().dataDir(dir.resolve("log")).build());
                StateDb db = StateDb.open(dir.resolve("schedule"))) {
            storage.createTopic("t", 1);
            for (int i = 0; i < 3; i++) {
                storage.append(TP, frame("before-" + i), true).join(); // the firing starts past offset 0
            }
            AtomicBoolean ackLost = new AtomicBoolean();
            AtomicBoolean appendLost = new AtomicBoolean();
            DelayScheduler.TargetLog target = new DelayScheduler.TargetLog() {
                @Override
                public long endOffset(TopicPartition tp) {
                    return storage.partitionInfo(tp).highWatermark();
                }

                @Override
                public CompletableFuture<AppendResult> append(TopicPartition tp, ByteBuffer frame) {
                    if (appendLost.getAndSet(false)) {
                        return CompletableFuture.failedFuture(new GmqException(ErrorCode.UNAVAILABLE, "lost"));
                    }
                    return storage.append(tp, frame, true).thenApply(r -> {
                        if (ackLost.getAndSet(false)) {
                            throw new GmqException(ErrorCode.UNAVAILABLE, "acknowledgement lost");
                        }
                        return r;
                    });
                }

                @Override
                public FetchResult read(TopicPartition tp, long offset, int maxBytes) {
                    return storage.fetch(tp, offset, maxBytes, 0).join();
                }
            };
            ScheduleLimits limits = ScheduleLimits.DEFAULT;

            DelayScheduler first = new DelayScheduler(db, clock, limits, 1 << 20, 1 << 16, target);
            first.schedule(TP, frame("appended"), clock.wallMillis() + 1_000).join();
            clock.advanceMillis(1_000);
            ackLost.set(true);
            assertEquals(0, first.fireDue(), "the append's acknowledgement was lost");
            assertEquals(4, endOffset(storage));
            assertEquals(1, first.scheduled(TP), "in doubt: still counted");
            first.schedule(TP, frame("never-appended"), clock.wallMillis()).join();
            first.close();

            // Its first round settles "appended" (found in the log from its fire_from) and loses the
            // append of "never-appended"; the next settles that one (absent from the log) and fires it.
            appendLost.set(true);
            DelayScheduler second = new DelayScheduler(db, clock, limits, 1 << 20, 1 << 16, target);
            second.fireDue();
            assertEquals(5, endOffset(storage), "the lost one fired again; the found one did not");
            assertEquals(0, second.scheduled(TP));
            assertEquals(
                    List.of("before-0", "before-1", "before-2", "appended", "never-appended"),
                    values(storage.fetch(TP, 0, 1 << 20, 0).join()));
            second.close();
        }
    }

    private static long endOffset(LocalStorage storage) {
        return storage.partitionInfo(TP).highWatermark();
    }

    private static List<String> values(FetchResult r) {
        List<String> out = new java.util.ArrayList<>();
        io.gmq.storage.BatchReader reader = new io.gmq.storage.BatchReader(r.records());
        while (reader.next()) {
            out.add(new String(reader.value(), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static ByteBuffer frame(String payload) {
        return new BatchBuilder(256)
                .add(1_000L, null, payload.getBytes(StandardCharsets.UTF_8), List.of())
                .attributes(BatchFormat.ATTR_QOS_AT_LEAST_ONCE)
                .buildCopy();
    }
}
