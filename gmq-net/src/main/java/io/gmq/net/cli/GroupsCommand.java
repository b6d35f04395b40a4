package io.gmq.net.cli;

import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.TopicPartition;
import io.gmq.client.GmqClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "groups",
        mixinStandardHelpOptions = true,
        description = "List, describe and reset consumer groups.",
        subcommands = {GroupsCommand.ListGroups.class, GroupsCommand.Describe.class, GroupsCommand.Reset.class})
final class GroupsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(
                spec.commandLine(), "missing subcommand: list, describe or reset");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists consumer groups.")
    static final class ListGroups implements Runnable {
        @Mixin
        ClientOptions client;

        @Override
        public void run() {
            try (GmqClient c = client.connect()) {
                c.listGroups().forEach(System.out::println);
            }
        }
    }

    @Command(
            name = "describe",
            mixinStandardHelpOptions = true,
            description = "Members, assignment, committed offset and lag of a group.")
    static final class Describe implements Runnable {
        @Mixin
        ClientOptions client;

        @Option(names = "--group", required = true)
        String group;

        @Override
        public void run() {
            try (GmqClient c = client.connect()) {
                GroupDescription d = c.describeGroup(group);
                System.out.println("group " + d.group() + " generation " + d.generation() + " members "
                        + d.members().size());
                for (GroupDescription.Member m : d.members()) {
                    System.out.println("  member " + m.memberId() + " client " + m.clientId() + " assigned "
                            + m.assigned() + " heartbeat " + m.lastHeartbeatAgeMillis() + " ms ago");
                }
                System.out.printf(
                        "%-30s %-24s %-10s %-14s %s%n", "PARTITION", "OWNER", "COMMITTED", "HIGH-WATERMARK", "LAG");
                for (GroupDescription.PartitionProgress p : d.partitions()) {
                    System.out.printf(
                            "%-30s %-24s %-10d %-14d %d%n",
                            p.topicPartition(),
                            p.ownerMemberId() == null ? "-" : p.ownerMemberId(),
                            p.committedOffset(),
                            p.highWatermark(),
                            p.lag());
                }
            }
        }
    }

    @Command(
            name = "reset",
            mixinStandardHelpOptions = true,
            description = "Moves a group's committed offsets on a topic (one partition with --partition), e.g."
                    + " past a damaged batch. Stop the group's consumers first.")
    static final class Reset implements Runnable {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        ClientOptions client;

        @Option(names = "--group", required = true)
        String group;

        @Option(names = "--topic", required = true)
        String topic;

        @Option(names = "--partition", description = "Only this partition (default: every partition of the topic).")
        Integer partition;

        @Option(names = "--to-offset", paramLabel = "OFFSET", description = "An exact offset (clamped to the log).")
        Long toOffset;

        @Option(names = "--to-earliest", description = "The oldest retained offset.")
        boolean toEarliest;

        @Option(names = "--to-latest", description = "The end of the log (skip everything stored).")
        boolean toLatest;

        @Option(names = "--to-timestamp", paramLabel = "EPOCH_MILLIS", description = "The first record at or after it.")
        Long toTimestamp;

        @Override
        public void run() {
            int chosen = (toOffset != null ? 1 : 0)
                    + (toEarliest ? 1 : 0)
                    + (toLatest ? 1 : 0)
                    + (toTimestamp != null ? 1 : 0);
            if (chosen != 1) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(),
                        "give exactly one of --to-offset, --to-earliest, --to-latest, --to-timestamp");
            }
            OffsetSpec target = toOffset != null
                    ? OffsetSpec.offset(toOffset)
                    : toEarliest
                            ? OffsetSpec.earliest()
                            : toLatest ? OffsetSpec.latest() : OffsetSpec.timestamp(toTimestamp);
            try (GmqClient c = client.connect()) {
                if (partition != null) {
                    c.resetOffsets(group, new TopicPartition(topic, partition), target);
                } else {
                    c.resetOffsets(group, topic, target);
                }
            }
            System.out.println("reset group " + group + " on " + (partition == null ? topic : topic + "-" + partition)
                    + " to " + target.kind().name().toLowerCase(java.util.Locale.ROOT)
                    + (target.kind() == OffsetSpec.Kind.OFFSET || target.kind() == OffsetSpec.Kind.TIMESTAMP
                            ? " " + target.value()
                            : ""));
        }
    }
}
