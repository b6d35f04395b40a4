package io.gmq.net.cli;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.PartitionInfo;
import io.gmq.TopicPartition;
import io.gmq.client.GmqClient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code groups reset --dry-run|--execute} will do: per partition, the group's committed
 * offset now and the offset the reset sets. The new offsets are resolved here the way the server
 * resolves them (earliest: the log start; latest: the high watermark; an offset: clamped to the
 * two; a timestamp: the first record at or after it, asked of the broker), so the plan may
 * differ from the result if the log moves in between.
 */
final class ResetPlan {
    /** {@code current} is -1 when the group has committed nothing for the partition. */
    record Step(TopicPartition partition, long current, long target) {}

    private ResetPlan() {}

    static List<Step> of(GmqClient c, String group, String topic, Integer only, OffsetSpec target) {
        Map<TopicPartition, Long> committed = new HashMap<>();
        try {
            for (GroupDescription.PartitionProgress p : c.describeGroup(group).partitions()) {
                committed.put(p.topicPartition(), p.committedOffset());
            }
        } catch (GmqException e) {
            if (e.code() != ErrorCode.NOT_FOUND) {
                throw e;
            }
        }
        List<Step> steps = new ArrayList<>();
        List<PartitionInfo> partitions = c.describeTopic(topic).partitions();
        if (only != null && (only < 0 || only >= partitions.size())) {
            throw GmqException.notFound("topic " + topic + " has " + partitions.size() + " partitions; partition "
                    + only + " does not exist");
        }
        for (PartitionInfo p : partitions) {
            TopicPartition tp = p.topicPartition();
            if (only != null && tp.partition() != only) {
                continue;
            }
            long to = switch (target.kind()) {
                case EARLIEST -> p.logStartOffset();
                case LATEST -> p.highWatermark();
                case OFFSET -> Math.max(p.logStartOffset(), Math.min(target.value(), p.highWatermark()));
                case TIMESTAMP -> c.reader(tp, target).position();
            };
            steps.add(new Step(tp, committed.getOrDefault(tp, -1L), to));
        }
        return steps;
    }

    static void print(String group, List<Step> plan) {
        System.out.printf(
                "%-24s %-24s %-10s %-15s %s%n", "GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "NEW-OFFSET");
        for (Step s : plan) {
            System.out.printf(
                    "%-24s %-24s %-10d %-15s %d%n",
                    group,
                    s.partition().topic(),
                    s.partition().partition(),
                    s.current() < 0 ? "-" : Long.toString(s.current()),
                    s.target());
        }
    }

    /**
     * {@code {"group":"g","to":{"kind":"offset","value":7},"executed":true,
     * "partitions":[{"topic":"t","partition":0,"currentOffset":null,"newOffset":7}]}}
     */
    static JsonWriter json(String group, OffsetSpec target, List<Step> plan, boolean executed) {
        JsonWriter json = new JsonWriter()
                .beginObject()
                .name("group")
                .value(group)
                .name("to")
                .beginObject()
                .name("kind")
                .value(target.kind().name().toLowerCase(Locale.ROOT));
        if (target.kind() == OffsetSpec.Kind.OFFSET || target.kind() == OffsetSpec.Kind.TIMESTAMP) {
            json.name("value").value(target.value());
        }
        json.endObject().name("executed").value(executed).name("partitions").beginArray();
        for (Step s : plan) {
            CliJson.orNull(CliJson.partition(json, s.partition()).name("currentOffset"), s.current())
                    .name("newOffset")
                    .value(s.target())
                    .endObject();
        }
        return json.endArray().endObject();
    }
}
