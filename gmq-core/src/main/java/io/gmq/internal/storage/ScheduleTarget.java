package io.gmq.internal.storage;

import io.gmq.TopicPartition;
import io.gmq.internal.log.LogManager;
import io.gmq.internal.schedule.DelayScheduler;
import io.gmq.internal.topic.TopicRegistry;
import io.gmq.storage.AppendResult;
import io.gmq.storage.FetchResult;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;

/** The partitions a local storage's scheduled messages are appended to: its own logs. */
final class ScheduleTarget implements DelayScheduler.TargetLog {
    /** The storage's append: checks that it is open and the partition exists. */
    @FunctionalInterface
    interface Appender {
        CompletableFuture<AppendResult> append(TopicPartition tp, ByteBuffer frame, boolean awaitDurable);
    }

    private final TopicRegistry topics;
    private final LogManager logs;
    private final Appender appender;

    ScheduleTarget(TopicRegistry topics, LogManager logs, Appender appender) {
        this.topics = topics;
        this.logs = logs;
        this.appender = appender;
    }

    @Override
    public long endOffset(TopicPartition tp) {
        return topics.find(tp.topic())
                .filter(t -> tp.partition() < t.partitions())
                .map(t -> logs.log(tp).highWatermark())
                .orElse(-1L);
    }

    @Override
    public CompletableFuture<AppendResult> append(TopicPartition tp, ByteBuffer frame) {
        return appender.append(tp, frame, true);
    }

    @Override
    public FetchResult read(TopicPartition tp, long offset, int maxBytes) {
        if (endOffset(tp) < 0) {
            throw io.gmq.GmqException.notFound("partition " + tp + " does not exist");
        }
        return logs.log(tp).fetch(offset, maxBytes, 0).join();
    }
}
