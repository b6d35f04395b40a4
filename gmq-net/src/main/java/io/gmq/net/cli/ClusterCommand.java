package io.gmq.net.cli;

import io.gmq.ClusterDescription;
import io.gmq.GmqException;
import io.gmq.client.GmqClient;
import io.gmq.net.cluster.ClusterPeers;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(
        name = "cluster",
        mixinStandardHelpOptions = true,
        description = "The replicated storage cluster behind a broker (docs/CLUSTER.md).",
        subcommands = {ClusterCommand.Describe.class, ClusterCommand.AddNode.class, ClusterCommand.RemoveNode.class})
final class ClusterCommand implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "missing subcommand: describe, add-node or remove-node");
    }

    @Command(
            name = "describe",
            mixinStandardHelpOptions = true,
            description = "Every storage group: leader, term, commit index, and each node's state and lag.")
    static final class Describe implements Runnable {
        @Mixin
        ClientOptions client;

        @Mixin
        OutputOption output;

        @Override
        public void run() {
            try (GmqClient c = client.connect()) {
                ClusterDescription d = c.describeCluster();
                if (output.json()) {
                    OutputOption.print(CliJson.clusterDescription(d));
                    return;
                }
                print(d);
            }
        }
    }

    @Command(
            name = "add-node",
            mixinStandardHelpOptions = true,
            description = "Make a running storage node (started with --join) a member of the storage cluster;"
                    + " it catches up from the leader first. Needs ADMIN on the cluster.")
    static final class AddNode implements Runnable {
        @Mixin
        ClientOptions client;

        @Mixin
        OutputOption output;

        @Option(names = "--node-id", required = true, paramLabel = "ID", description = "The new node's --node-id.")
        String nodeId;

        @Option(
                names = "--raft",
                required = true,
                paramLabel = "HOST:PORT",
                description = "The new node's Raft address, as every member reaches it (its entry in its --peers).")
        String raft;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            try {
                ClusterPeers.checkNewNode(nodeId, raft);
            } catch (GmqException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            try (GmqClient c = client.connect()) {
                ClusterDescription d = c.addStorageNode(nodeId, raft);
                if (output.json()) {
                    OutputOption.print(CliJson.clusterDescription(d));
                    return;
                }
                System.out.println("node " + nodeId + " added");
                print(d);
            }
        }
    }

    @Command(
            name = "remove-node",
            mixinStandardHelpOptions = true,
            description = "Remove a member from the storage cluster (the leader too: leadership moves); its"
                    + " storage process stops by itself. Needs ADMIN on the cluster.")
    static final class RemoveNode implements Runnable {
        @Mixin
        ClientOptions client;

        @Mixin
        OutputOption output;

        @Option(names = "--node-id", required = true, paramLabel = "ID", description = "The member to remove.")
        String nodeId;

        @Spec
        CommandSpec spec;

        @Override
        public void run() {
            try {
                ClusterPeers.checkNodeId(nodeId);
            } catch (GmqException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            try (GmqClient c = client.connect()) {
                ClusterDescription d = c.removeStorageNode(nodeId);
                if (output.json()) {
                    OutputOption.print(CliJson.clusterDescription(d));
                    return;
                }
                System.out.println("node " + nodeId + " removed");
                print(d);
            }
        }
    }

    static void print(ClusterDescription d) {
        for (ClusterDescription.StorageGroup g : d.groups()) {
            System.out.println("group " + g.name() + " leader " + (g.leader().isEmpty() ? "(election)" : g.leader())
                    + " term " + (g.term() < 0 ? "-" : Long.toString(g.term())) + " commit-index "
                    + (g.commitIndex() < 0 ? "-" : Long.toString(g.commitIndex())));
            System.out.printf(
                    "  %-8s %-22s %-22s %-6s %-13s %s%n", "NODE", "RAFT", "STORAGE", "STATE", "COMMIT-INDEX", "LAG");
            for (ClusterDescription.Node n : g.members()) {
                System.out.printf(
                        "  %-8s %-22s %-22s %-6s %-13s %s%n",
                        n.id() + (n.id().equals(g.leader()) ? "*" : ""),
                        n.raftAddress(),
                        n.storageAddress().isEmpty() ? "-" : n.storageAddress(),
                        n.commitIndex() < 0 && !n.up() ? "-" : n.up() ? "up" : "down",
                        n.commitIndex() < 0 ? "-" : Long.toString(n.commitIndex()),
                        n.lag() < 0 ? "-" : Long.toString(n.lag()));
            }
        }
    }
}
