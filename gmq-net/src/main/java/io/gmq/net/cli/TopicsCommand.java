package io.gmq.net.cli;

import io.gmq.PartitionInfo;
import io.gmq.TopicDescription;
import io.gmq.TopicInfo;
import io.gmq.client.GmqClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "topics",
        mixinStandardHelpOptions = true,
        description = "Create, list, describe and delete topics.",
        subcommands = {
            TopicsCommand.Create.class,
            TopicsCommand.ListTopics.class,
            TopicsCommand.Describe.class,
            TopicsCommand.Alter.class,
            TopicsCommand.Delete.class
        })
final class TopicsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(
                spec.commandLine(), "missing subcommand: create, list, describe, alter or delete");
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Creates a topic.")
    static final class Create implements Runnable {
        @Mixin
        ClientOptions client;

        @Mixin
        OutputOption output;

        @Option(names = "--topic", required = true)
        String topic;

        @Option(names = "--partitions", required = true)
        int partitions;

        @Option(
                names = "--config",
                paramLabel = "KEY=VALUE",
                description =
                        "A topic setting (repeatable): retention-age, retention-bytes, segment-bytes,"
                                + " max-message-bytes, ack-timeout, max-deliveries, nack-backoff, nack-backoff-max, nack-backoff-jitter.")
        Map<String, String> config = new LinkedHashMap<>();

        @Override
        public void run() {
            try (GmqClient c = client.connect()) {
                TopicInfo t = c.createTopic(topic, partitions, config);
                if (output.json()) {
                    OutputOption.print(CliJson.topic(t));
                    return;
                }
                System.out.println("created topic " + t.name() + " with " + t.partitions() + " partitions"
                        + (t.config().isEmpty() ? "" : " and settings " + settingsLine(t)));
            }
        }
    }

    @Command(
            name = "alter",
            mixinStandardHelpOptions = true,
            description = "Changes a topic's settings, or grows its partition count, while it is in use.")
    static final class Alter implements Runnable {
        @Mixin
        ClientOptions client;

        @Mixin
        OutputOption output;

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Option(names = "--topic", required = true)
        String topic;

        @Option(
                names = "--config",
                paramLabel = "KEY=VALUE",
                description = "Sets a topic setting (repeatable); see topics create --help for the keys.")
        Map<String, String> config = new LinkedHashMap<>();

        @Option(
                names = "--delete-config",
                paramLabel = "KEY",
                description = "Puts a setting back to the server's value (repeatable).")
        List<String> reset = new ArrayList<>();

        @Option(
                names = "--partitions",
                paramLabel = "N",
                description = "Grows the topic to N partitions (only growing; keyed records keep their order"
                        + " for consumer groups across the change, see README 'Growing partitions').")
        Integer partitions;

        @Override
        public void run() {
            Map<String, String> changes = new LinkedHashMap<>(config);
            reset.forEach(k -> changes.put(k, ""));
            if (changes.isEmpty() && partitions == null) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(),
                        "nothing to change: give --config KEY=VALUE, --delete-config KEY or --partitions N");
            }
            try (GmqClient c = client.connect()) {
                if (partitions != null) {
                    TopicInfo grown = c.createPartitions(topic, partitions);
                    if (changes.isEmpty()) {
                        if (output.json()) {
                            OutputOption.print(CliJson.topic(grown));
                            return;
                        }
                        System.out.println("altered topic " + grown.name() + ": " + grown.partitions() + " partitions"
                                + " (was "
                                + grown.growth().get(grown.growth().size() - 1).fromPartitions() + ")");
                        return;
                    }
                }
                TopicInfo t = c.alterTopicConfig(topic, changes);
                if (output.json()) {
                    OutputOption.print(CliJson.topic(t));
                    return;
                }
                System.out.println("altered topic " + t.name() + ": "
                        + (t.config().isEmpty() ? "every setting is the server's" : "settings " + settingsLine(t)));
            }
        }
    }

    /** A topic's own settings as {@code key=value, key=value}. */
    static String settingsLine(TopicInfo t) {
        StringBuilder b = new StringBuilder();
        t.config()
                .values()
                .forEach((k, v) -> b.append(b.length() == 0 ? "" : ", ")
                        .append(k)
                        .append('=')
                        .append(v));
        return b.toString();
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists topics and their partition counts.")
    static final class ListTopics implements Runnable {
        @Mixin
        ClientOptions client;

        @Mixin
        OutputOption output;

        @Override
        public void run() {
            try (GmqClient c = client.connect()) {
                if (output.json()) {
                    OutputOption.print(CliJson.topics(c.listTopics()));
                    return;
                }
                for (TopicInfo t : c.listTopics()) {
                    System.out.println(t.name() + "\t" + t.partitions());
                }
            }
        }
    }

    @Command(
            name = "describe",
            mixinStandardHelpOptions = true,
            description = "Partitions of a topic with their start offset and high watermark.")
    static final class Describe implements Runnable {
        @Mixin
        ClientOptions client;

        @Mixin
        OutputOption output;

        @Option(names = "--topic", required = true)
        String topic;

        @Override
        public void run() {
            try (GmqClient c = client.connect()) {
                TopicDescription d = c.describeTopic(topic);
                if (output.json()) {
                    OutputOption.print(CliJson.topicDescription(d));
                    return;
                }
                System.out.println("topic " + d.name() + " partitions " + d.partitionCount());
                System.out.printf("%-10s %-14s %-14s %s%n", "PARTITION", "START-OFFSET", "HIGH-WATERMARK", "BYTES");
                for (PartitionInfo p : d.partitions()) {
                    System.out.printf(
                            "%-10d %-14d %-14d %d%n",
                            p.topicPartition().partition(), p.logStartOffset(), p.highWatermark(), p.sizeBytes());
                }
                if (!d.config().isEmpty()) {
                    System.out.printf("%-18s %-14s %s%n", "SETTING", "VALUE", "SOURCE");
                    d.config()
                            .forEach((k, v) -> System.out.printf(
                                    "%-18s %-14s %s%n", k, v, d.own().values().containsKey(k) ? "topic" : "server"));
                }
            }
        }
    }

    @Command(
            name = "delete",
            mixinStandardHelpOptions = true,
            description = "Deletes a topic, its data and its group offsets.")
    static final class Delete implements Runnable {
        @Mixin
        ClientOptions client;

        @Mixin
        OutputOption output;

        @Option(names = "--topic", required = true)
        String topic;

        @Override
        public void run() {
            try (GmqClient c = client.connect()) {
                c.deleteTopic(topic);
                if (output.json()) {
                    OutputOption.print(new JsonWriter()
                            .beginObject()
                            .name("topic")
                            .value(topic)
                            .name("deleted")
                            .value(true)
                            .endObject());
                    return;
                }
                System.out.println("deleted topic " + topic);
            }
        }
    }
}
