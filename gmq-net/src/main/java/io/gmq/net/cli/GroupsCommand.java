package io.gmq.net.cli;

import io.gmq.client.GmqClient;
import io.gmq.storage.GroupDescription;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(
        name = "groups",
        mixinStandardHelpOptions = true,
        description = "List and describe consumer groups.",
        subcommands = {GroupsCommand.ListGroups.class, GroupsCommand.Describe.class})
final class GroupsCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: list or describe");
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
}
