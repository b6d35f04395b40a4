package io.gmq.internal.schedule;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.Header;
import io.gmq.TopicPartition;
import io.gmq.storage.BatchBuilder;
import io.gmq.storage.BatchFormat;
import io.gmq.storage.BatchFrame;
import io.gmq.storage.BatchReader;
import io.gmq.storage.FetchResult;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The frames of the schedule: checking a producer's frame before it is kept, building the frame
 * a firing appends (each record with its {@value DelayScheduler#SCHEDULE_ID_HEADER} header), and
 * finding those ids in a partition when a firing a crash interrupted is settled.
 */
final class ScheduledFrames {
    private ScheduledFrames() {}

    /** The frame's record count, or INVALID_ARGUMENT / RESOURCE_EXHAUSTED / DATA_LOSS as an append says. */
    static int validate(TopicPartition tp, ByteBuffer frame, int maxBatchBytes, int maxMessageBytes) {
        int available = frame.remaining();
        BatchFrame f = new BatchFrame().wrap(frame, frame.position());
        String bad = f.lengthProblem(available);
        if (bad != null) {
            throw GmqException.invalidArgument(tp + ": " + bad);
        }
        if (f.frameLength() != available) {
            throw GmqException.invalidArgument(tp + ": batch of " + f.frameLength() + " bytes is followed by "
                    + (available - f.frameLength()) + " extra bytes; send exactly one frame");
        }
        if (available > maxBatchBytes) {
            throw new GmqException(
                    ErrorCode.RESOURCE_EXHAUSTED,
                    "batch of " + available + " bytes exceeds the maximum batch size of " + maxBatchBytes
                            + " bytes (maxBatchBytes)");
        }
        if (!f.producerCrcHolds()) {
            throw new GmqException(
                    ErrorCode.DATA_LOSS,
                    tp + ": batch CRC32C does not match its bytes: it was damaged after the producer built it;"
                            + " nothing was scheduled, send it again");
        }
        bad = f.recordsProblem();
        if (bad != null) {
            throw GmqException.invalidArgument(tp + ": " + bad);
        }
        // The fired frame adds a header per record: the record must still fit the message limit.
        int largest = f.largestRecordBytes() + idHeaderBytes(Long.MAX_VALUE);
        if (largest > maxMessageBytes) {
            throw new GmqException(
                    ErrorCode.RESOURCE_EXHAUSTED,
                    "record of " + largest + " bytes (with its " + DelayScheduler.SCHEDULE_ID_HEADER
                            + " header) exceeds the maximum message size of " + maxMessageBytes
                            + " bytes (maxMessageBytes)");
        }
        return f.recordCount();
    }

    static int idHeaderBytes(long id) {
        return 2 * BatchFormat.LENGTH_FIELD
                + DelayScheduler.SCHEDULE_ID_HEADER.length()
                + Long.toString(id).length();
    }

    /** Copies {@code e}'s records into {@code builder}, each with its schedule id header, stamped {@code now}. */
    static void addRecords(BatchBuilder builder, ScheduleStore.Entry e, long now) {
        Header id = new Header(
                DelayScheduler.SCHEDULE_ID_HEADER, Long.toString(e.id()).getBytes(StandardCharsets.US_ASCII));
        BatchReader reader = new BatchReader(ByteBuffer.wrap(e.frame()).order(BatchFormat.ORDER));
        while (reader.next()) {
            List<Header> headers = new ArrayList<>(reader.headerCount() + 1);
            headers.addAll(reader.headers());
            headers.add(id);
            builder.add(now, reader.hasKey() ? reader.key() : null, reader.value(), headers);
        }
    }

    /** The schedule ids in the records of {@code tp} in [from, end). */
    static Set<Long> scheduleIdsBetween(DelayScheduler.TargetLog log, TopicPartition tp, long from, long end) {
        Set<Long> ids = new HashSet<>();
        BatchReader reader = new BatchReader();
        long next = from;
        while (next < end) {
            FetchResult r = log.read(tp, next, DelayScheduler.SCAN_BYTES);
            if (r.outOfRange()) {
                next = r.logStartOffset(); // retention removed the start: what is left is all there is
                continue;
            }
            if (r.isEmpty()) {
                break;
            }
            long last = next - 1;
            reader.wrap(r.records());
            while (reader.next()) {
                if (reader.offset() < next) {
                    continue;
                }
                last = reader.offset();
                for (Header h : reader.headers()) {
                    if (h.name().equals(DelayScheduler.SCHEDULE_ID_HEADER)) {
                        ids.add(Long.parseLong(h.valueAsString()));
                    }
                }
            }
            if (last < next) {
                break;
            }
            next = last + 1;
        }
        return ids;
    }
}
