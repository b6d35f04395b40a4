package io.gmq.net.cli;

import io.gmq.ClusterDescription;
import io.gmq.GroupDescription;
import io.gmq.PartitionInfo;
import io.gmq.TopicDescription;
import io.gmq.TopicInfo;
import io.gmq.TopicPartition;
import java.util.Collection;

/**
 * The JSON of {@code --output json}, one method per result type. Field names are lowerCamelCase;
 * a value that is not known (no leader, nothing committed) is {@code null}, never a sentinel such
 * as -1. The schemas are documented in docs/OPERATIONS.md and only ever gain fields.
 */
final class CliJson {
    private CliJson() {}

    /** {@code {"topic":"orders","partitions":3}} */
    static JsonWriter topic(TopicInfo t) {
        JsonWriter json = new JsonWriter()
                .beginObject()
                .name("topic")
                .value(t.name())
                .name("partitions")
                .value(t.partitions());
        return settings(json, "settings", t.config().values()).endObject();
    }

    /** {@code name: {key: value, ...}}. */
    private static JsonWriter settings(JsonWriter json, String name, java.util.Map<String, String> values) {
        json.name(name).beginObject();
        values.forEach((k, v) -> json.name(k).value(v));
        return json.endObject();
    }

    static JsonWriter topics(Collection<TopicInfo> topics) {
        JsonWriter json = new JsonWriter().beginObject().name("topics").beginArray();
        for (TopicInfo t : topics) {
            json.beginObject().name("topic").value(t.name()).name("partitions").value(t.partitions());
            settings(json, "settings", t.config().values()).endObject();
        }
        return json.endArray().endObject();
    }

    static JsonWriter topicDescription(TopicDescription d) {
        JsonWriter json = new JsonWriter()
                .beginObject()
                .name("topic")
                .value(d.name())
                .name("partitionCount")
                .value(d.partitionCount())
                .name("partitions")
                .beginArray();
        for (PartitionInfo p : d.partitions()) {
            json.beginObject()
                    .name("partition")
                    .value(p.topicPartition().partition())
                    .name("startOffset")
                    .value(p.logStartOffset())
                    .name("highWatermark")
                    .value(p.highWatermark())
                    .name("bytes")
                    .value(p.sizeBytes())
                    .endObject();
        }
        json.endArray();
        settings(json, "settings", d.own().values());
        return settings(json, "effectiveSettings", d.config()).endObject();
    }

    static JsonWriter groups(Collection<String> groups) {
        JsonWriter json = new JsonWriter().beginObject().name("groups").beginArray();
        groups.forEach(json::value);
        return json.endArray().endObject();
    }

    static JsonWriter groupDescription(GroupDescription d) {
        JsonWriter json = new JsonWriter()
                .beginObject()
                .name("group")
                .value(d.group())
                .name("generation")
                .value(d.generation())
                .name("type")
                .value(d.type().name().toLowerCase(java.util.Locale.ROOT))
                .name("members")
                .beginArray();
        for (GroupDescription.Member m : d.members()) {
            json.beginObject()
                    .name("memberId")
                    .value(m.memberId())
                    .name("clientId")
                    .value(m.clientId())
                    .name("topics")
                    .beginArray();
            m.topics().stream().sorted().forEach(json::value);
            json.endArray().name("assigned").beginArray();
            m.assigned().stream().sorted().forEach(tp -> partition(json, tp).endObject());
            json.endArray()
                    .name("lastHeartbeatAgeMillis")
                    .value(m.lastHeartbeatAgeMillis())
                    .endObject();
        }
        json.endArray().name("partitions").beginArray();
        for (GroupDescription.PartitionProgress p : d.partitions()) {
            partition(json, p.topicPartition()).name("owner").value(p.ownerMemberId());
            orNull(json.name("committedOffset"), p.committedOffset())
                    .name("highWatermark")
                    .value(p.highWatermark())
                    .name("lag")
                    .value(p.lag())
                    .name("scheduled")
                    .value(p.scheduled())
                    .endObject();
        }
        return json.endArray().endObject();
    }

    static JsonWriter clusterDescription(ClusterDescription d) {
        JsonWriter json = new JsonWriter().beginObject().name("groups").beginArray();
        for (ClusterDescription.StorageGroup g : d.groups()) {
            json.beginObject()
                    .name("name")
                    .value(g.name())
                    .name("leader")
                    .value(g.leader().isEmpty() ? null : g.leader());
            orNull(json.name("term"), g.term());
            orNull(json.name("commitIndex"), g.commitIndex());
            json.name("members").beginArray();
            for (ClusterDescription.Node n : g.members()) {
                json.beginObject()
                        .name("id")
                        .value(n.id())
                        .name("raftAddress")
                        .value(n.raftAddress())
                        .name("storageAddress")
                        .value(n.storageAddress().isEmpty() ? null : n.storageAddress())
                        .name("state")
                        .value(n.commitIndex() < 0 && !n.up() ? "unknown" : n.up() ? "up" : "down");
                orNull(json.name("commitIndex"), n.commitIndex());
                orNull(json.name("lag"), n.lag());
                json.endObject();
            }
            json.endArray().endObject();
        }
        return json.endArray().endObject();
    }

    /** Opens an object with the partition's {@code topic} and {@code partition}; the caller closes it. */
    static JsonWriter partition(JsonWriter json, TopicPartition tp) {
        return json.beginObject()
                .name("topic")
                .value(tp.topic())
                .name("partition")
                .value(tp.partition());
    }

    /** {@code value}, or null when it is negative (GMQ's "not known"). */
    static JsonWriter orNull(JsonWriter json, long value) {
        return value < 0 ? json.value((String) null) : json.value(value);
    }
}
