package io.gmq.net.it;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The network between the nodes of a storage cluster, made of links a test can cut: a {@link
 * TcpProxy} for every ordered pair of nodes (from, to) and every port {@code to} listens on (Raft
 * and GmqStorage), and one for the brokers to each node's GmqStorage port. {@link #isolate} cuts
 * every link to and from one node (a network partition of that node from all the others),
 * {@link #heal} restores them.
 *
 * <p>How a node's own connections are made to pass through the links, with the processes
 * unchanged: every node is known by a host name ({@link #host}), in {@code --peers} and as its
 * {@code --host}, and every node JVM resolves host names from a hosts file of its own ({@code
 * -Djdk.net.hosts.file}, read by the JDK resolver that gRPC and Ratis's shaded gRPC use). In node
 * N's file its own name is 127.0.0.1, where it binds; another node M's name is 127.N.M.1, a
 * loopback address where the link (N, M) listens on M's ports and forwards to 127.0.0.1 (Linux
 * routes all of 127.0.0.0/8 to the loopback interface). So every connection N opens to M (the Raft
 * streams, which both sides open, and reads passed to the leader) goes through the link (N, M),
 * and the test knows which node opened it, which a proxy in front of M alone could not tell.
 *
 * <p>Why not an HTTP CONNECT proxy named by {@code https.proxyHost}: gRPC consults the JDK's
 * {@code ProxySelector}, but Ratis 3.3 builds its channels with a proxy detector that always
 * answers "no proxy" ({@code GrpcServerProtocolClient.buildChannel}), so Raft traffic would go
 * around it.
 */
final class PeerNetwork implements AutoCloseable {
    private final Map<String, Path> hostsFiles = new LinkedHashMap<>();
    /** Link (from, to) on each of to's ports, keyed "from>to". */
    private final Map<String, List<TcpProxy>> links = new LinkedHashMap<>();
    /** Brokers' link to each node's GmqStorage port. */
    private final Map<String, TcpProxy> brokerLinks = new LinkedHashMap<>();

    /**
     * @param ports each node's id (1-254) and the ports it listens on, GmqStorage first; every
     *     node binds them on 127.0.0.1
     */
    PeerNetwork(Path dir, Map<String, List<Integer>> ports) throws IOException {
        try {
            for (String from : ports.keySet()) {
                StringBuilder hosts = new StringBuilder("127.0.0.1 localhost\n");
                localHostName()
                        .ifPresent(h -> hosts.append("127.0.0.1 ").append(h).append('\n'));
                hosts.append("127.0.0.1 ").append(host(from)).append('\n');
                for (Map.Entry<String, List<Integer>> to : ports.entrySet()) {
                    if (to.getKey().equals(from)) {
                        continue;
                    }
                    InetAddress via = linkAddress(from, to.getKey());
                    hosts.append(via.getHostAddress())
                            .append(' ')
                            .append(host(to.getKey()))
                            .append('\n');
                    List<TcpProxy> proxies = new ArrayList<>();
                    links.put(from + ">" + to.getKey(), proxies);
                    for (int port : to.getValue()) {
                        proxies.add(TcpProxy.on(new InetSocketAddress(via, port), port));
                    }
                }
                Path file = dir.resolve("hosts-node" + from);
                Files.writeString(file, hosts, StandardCharsets.UTF_8);
                hostsFiles.put(from, file);
                brokerLinks.put(from, TcpProxy.to(ports.get(from).get(0)));
            }
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The host name of node {@code id}, in --peers and as the node's --host. */
    static String host(String id) {
        return "gmq-node-" + id + ".test";
    }

    /** The JVM flags that make node {@code id} resolve the other nodes to its links. */
    List<String> jvmArgs(String id) {
        return List.of("-Djdk.net.hosts.file=" + hostsFiles.get(id));
    }

    /** Where a broker reaches node {@code id}'s GmqStorage service (through a link). */
    String brokerAddress(String id) {
        return brokerLinks.get(id).address();
    }

    /** Connections node {@code from} has opened to node {@code to} so far (on any of its ports). */
    int connections(String from, String to) {
        return links.get(from + ">" + to).stream()
                .mapToInt(TcpProxy::forwardedConnections)
                .sum();
    }

    /** Connections node {@code from} tried to open to {@code to} while the link was cut. */
    int refusedConnections(String from, String to) {
        return links.get(from + ">" + to).stream()
                .mapToInt(TcpProxy::refusedConnections)
                .sum();
    }

    /** Cuts every link to and from node {@code id}, brokers' included: open connections drop, new ones are refused. */
    void isolate(String id) {
        links.forEach((pair, proxies) -> {
            String[] ends = pair.split(">");
            if (ends[0].equals(id) || ends[1].equals(id)) {
                proxies.forEach(TcpProxy::cut);
            }
        });
        brokerLinks.get(id).cut();
    }

    /** Restores every link. */
    void heal() {
        links.values().forEach(proxies -> proxies.forEach(TcpProxy::resume));
        brokerLinks.values().forEach(TcpProxy::resume);
    }

    private static InetAddress linkAddress(String from, String to) throws UnknownHostException {
        return InetAddress.getByAddress(
                new byte[] {127, (byte) Integer.parseInt(from), (byte) Integer.parseInt(to), 1});
    }

    /** Some libraries look up the machine's own name; a hosts file without it would fail them. */
    private static Optional<String> localHostName() {
        try {
            return Optional.of(InetAddress.getLocalHost().getHostName());
        } catch (UnknownHostException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        for (List<TcpProxy> proxies : links.values()) {
            for (TcpProxy p : proxies) {
                closeQuietly(p);
            }
        }
        brokerLinks.values().forEach(PeerNetwork::closeQuietly);
    }

    private static void closeQuietly(TcpProxy p) {
        try {
            p.close();
        } catch (IOException ignored) {
            // close the rest
        }
    }
}
