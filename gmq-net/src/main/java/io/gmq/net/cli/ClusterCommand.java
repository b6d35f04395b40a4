package io.gmq.net.cli;

import io.gmq.ClusterDescription;
import io.gmq.client.GmqClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = "The replicated storage cluster behind a broker (docs/CLUSTER.md).",
        subcommands = {ClusterCommand.Describe.class})
final class ClusterCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing subcommand: describe");
    }

    @Command(
            name = "describe",
            mixinStandardHelpOptions = true,
            description = "Every storage group: leader, term, commit index, and each node's state and lag.")
    static final class Describe implements Runnable {
        @Mixin
        ClientOptions client;

        @Override
        public void run() {
            try (GmqClient c = client.connect()) {
                ClusterDescription d = c.describeCluster();
                for (ClusterDescription.StorageGroup g : d.groups()) {
                    System.out.println("group " + g.name() + " leader "
                            + (g.leader().isEmpty() ? "(election)" : g.leader()) + " term " + g.term()
                            + " commit-index " + g.commitIndex());
                    System.out.printf(
                            "  %-8s %-22s %-22s %-6s %-13s %s%n",
                            "NODE", "RAFT", "STORAGE", "STATE", "COMMIT-INDEX", "LAG");
                    for (ClusterDescription.Node n : g.members()) {
                        System.out.printf(
                                "  %-8s %-22s %-22s %-6s %-13s %s%n",
                                n.id() + (n.id().equals(g.leader()) ? "*" : ""),
                                n.raftAddress(),
                                n.storageAddress().isEmpty() ? "-" : n.storageAddress(),
                                n.up() ? "up" : "down",
                                n.commitIndex() < 0 ? "-" : Long.toString(n.commitIndex()),
                                n.lag() < 0 ? "-" : Long.toString(n.lag()));
                    }
                }
            }
        }
    }
}
