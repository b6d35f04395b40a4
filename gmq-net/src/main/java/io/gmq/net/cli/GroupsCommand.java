package io.gmq.net.cli;

import io.gmq.GroupDescription;
import io.gmq.OffsetSpec;
import io.gmq.TopicPartition;
import io.gmq.client.GmqClient;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "groups",
        mixinStandardHelpOptions = true,
        description = "List, describe, reset and delete consumer groups.",
        subcommands = {
            GroupsCommand.ListGroups.class,
            GroupsCommand.Describe.class,
            GroupsCommand.Reset.class,
            GroupsCommand.Delete.class
        })
final class GroupsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(
                spec.commandLine(), "missing subcommand: list, describe, reset or delete");
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "Lists consumer groups.")
    static final class ListGroups implements Runnable {
        @Mixin
        ClientOptions client;

        @Mixin
        OutputOption output;

        @Override
        public void run() {
            try (GmqClient c = client.connect()) {
                if (output.json()) {
                    OutputOption.print(CliJson.groups(c.listGroups()));
                    return;
                }
                c.listGroups().forEach(System.out::println);
            }
        }
    }

    @Command(
            name = "describe",
            mixinStandardHelpOptions = true,
            description = "Members, assignment, committed offset, lag and scheduled (delayed, not yet"
                    + " appended) messages of a group.")
    static final class Describe implements Runnable {
        @Mixin
        ClientOptions client;

        @Mixin
        OutputOption output;

        @Option(names = "--group", required = true)
        String group;

        @Override
        public void run() {
            try (GmqClient c = client.connect()) {
                GroupDescription d = c.describeGroup(group);
                if (output.json()) {
                    OutputOption.print(CliJson.groupDescription(d));
                    return;
                }
                if (d.share() != null) {
                    printShare(d.share());
                    return;
                }
                System.out.println("group " + d.group() + " generation " + d.generation() + " members "
                        + d.members().size());
                for (GroupDescription.Member m : d.members()) {
                    System.out.println("  member " + m.memberId() + " client " + m.clientId() + " assigned "
                            + m.assigned() + " heartbeat " + m.lastHeartbeatAgeMillis() + " ms ago");
                }
                System.out.printf(
                        "%-30s %-24s %-10s %-14s %-10s %s%n",
                        "PARTITION", "OWNER", "COMMITTED", "HIGH-WATERMARK", "LAG", "SCHEDULED");
                for (GroupDescription.PartitionProgress p : d.partitions()) {
                    System.out.printf(
                            "%-30s %-24s %-10d %-14d %-10d %d%n",
                            p.topicPartition(),
                            p.ownerMemberId() == null ? "-" : p.ownerMemberId(),
                            p.committedOffset(),
                            p.highWatermark(),
                            p.lag(),
                            p.scheduled());
                }
            }
        }
    }

    /** A share group: type and ordering, members, and per partition the share start offset and records in flight. */
    static void printShare(io.gmq.ShareGroupDescription d) {
        System.out.println("group " + d.group() + " type share ordering "
                + d.ordering().name().toLowerCase(java.util.Locale.ROOT) + " members "
                + d.members().size());
        for (io.gmq.ShareGroupDescription.Member m : d.members()) {
            System.out.println("  member " + m.memberId() + " client " + m.clientId() + " topics " + m.topics()
                    + " heartbeat " + m.lastHeartbeatAgeMillis() + " ms ago");
        }
        System.out.printf(
                "%-30s %-12s %-10s %-10s %-14s %s%n",
                "PARTITION", "START-OFFSET", "IN-FLIGHT", "ACQUIRED", "HIGH-WATERMARK", "LAG");
        for (io.gmq.ShareGroupDescription.Partition p : d.partitions()) {
            System.out.printf(
                    "%-30s %-12d %-10d %-10d %-14d %d%n",
                    p.topicPartition(), p.startOffset(), p.inFlight(), p.acquired(), p.highWatermark(), p.lag());
        }
    }

    @Command(
            name = "reset",
            mixinStandardHelpOptions = true,
            description = "Moves a group's committed offsets on a topic (one partition with --partition), e.g."
                    + " past a damaged batch. Stop the group's consumers first. Shows the plan (current and new"
                    + " offset of each partition) and changes nothing unless --execute is given (Kafka's"
                    + " convention).")
    static final class Reset implements Runnable {
        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Mixin
        ClientOptions client;

        @Mixin
        OutputOption output;

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

        @Option(names = "--dry-run", description = "Show the plan; change nothing (the default without --execute).")
        boolean dryRun;

        @Option(names = "--execute", description = "Show the plan and apply it.")
        boolean execute;

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
            if (dryRun && execute) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "give --dry-run or --execute, not both");
            }
            if (toOffset != null && toOffset < 0) {
                throw new picocli.CommandLine.ParameterException(
                        spec.commandLine(), "--to-offset must not be negative, was " + toOffset);
            }
            OffsetSpec target = toOffset != null
                    ? OffsetSpec.offset(toOffset)
                    : toEarliest
                            ? OffsetSpec.earliest()
                            : toLatest ? OffsetSpec.latest() : OffsetSpec.timestamp(toTimestamp);
            try (GmqClient c = client.connect()) {
                List<ResetPlan.Step> plan = ResetPlan.of(c, group, topic, partition, target);
                if (!output.json()) {
                    ResetPlan.print(group, plan);
                }
                if (execute) {
                    if (partition != null) {
                        c.resetOffsets(group, new TopicPartition(topic, partition), target);
                    } else {
                        c.resetOffsets(group, topic, target);
                    }
                }
                if (output.json()) {
                    OutputOption.print(ResetPlan.json(group, target, plan, execute));
                    return;
                }
            }
            if (!execute) {
                System.out.println("dry run: nothing changed; add --execute to apply");
                return;
            }
            System.out.println("reset group " + group + " on " + (partition == null ? topic : topic + "-" + partition)
                    + " to " + target.kind().name().toLowerCase(java.util.Locale.ROOT)
                    + (target.kind() == OffsetSpec.Kind.OFFSET || target.kind() == OffsetSpec.Kind.TIMESTAMP
                            ? " " + target.value()
                            : ""));
        }
    }

    @Command(
            name = "delete",
            mixinStandardHelpOptions = true,
            description = "Deletes a group's committed offsets; it is listed no more and starts afresh if it forms"
                    + " again. Stop its consumers first. Needs DELETE on the group.")
    static final class Delete implements Runnable {
        @Mixin
        ClientOptions client;

        @Mixin
        OutputOption output;

        @Option(names = "--group", required = true)
        String group;

        @Override
        public void run() {
            try (GmqClient c = client.connect()) {
                c.deleteGroup(group);
            }
            if (output.json()) {
                OutputOption.print(new JsonWriter()
                        .beginObject()
                        .name("group")
                        .value(group)
                        .name("deleted")
                        .value(true)
                        .endObject());
                return;
            }
            System.out.println("deleted group " + group);
        }
    }
}
