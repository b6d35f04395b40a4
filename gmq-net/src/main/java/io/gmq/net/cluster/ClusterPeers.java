package io.gmq.net.cluster;

import io.gmq.GmqException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The members of a storage cluster as {@code --node-id} and {@code --peers} name them: node id ->
 * Raft address ({@code HOST:PORT}). Parsing refuses what would make a cluster that cannot form:
 * an empty list, a duplicate id or address, a port out of range, or a node id missing from its
 * own peer list.
 */
public record ClusterPeers(String self, Map<String, String> raftAddresses) {
    public ClusterPeers {
        raftAddresses = Collections.unmodifiableMap(new LinkedHashMap<>(raftAddresses));
        if (!raftAddresses.containsKey(self)) {
            throw GmqException.invalidArgument("--node-id " + self + " is not in --peers " + raftAddresses.keySet()
                    + "; every node lists itself too");
        }
    }

    /** A one-node cluster (its Raft port may be 0: chosen when it starts). */
    public static ClusterPeers single(String self, String raftAddress) {
        return new ClusterPeers(checkId(self), Map.of(self, checkAddress(raftAddress, true)));
    }

    /** Parses {@code 1=HOST:PORT,2=HOST:PORT,...}. */
    public static ClusterPeers parse(String self, String peers) {
        checkId(self);
        if (peers == null || peers.isBlank()) {
            throw GmqException.invalidArgument("--peers is empty; expected ID=HOST:PORT,ID=HOST:PORT,...");
        }
        Map<String, String> out = new LinkedHashMap<>();
        String[] items = peers.split(",");
        for (String item : items) {
            String s = item.trim();
            int eq = s.indexOf('=');
            if (eq <= 0 || eq == s.length() - 1) {
                throw GmqException.invalidArgument(
                        "--peers entry '" + s + "' is not ID=HOST:PORT (for example 1=10.0.0.1:50061)");
            }
            String id = checkId(s.substring(0, eq));
            String address = checkAddress(s.substring(eq + 1), items.length == 1);
            if (out.containsKey(id)) {
                throw GmqException.invalidArgument("--peers names node " + id + " twice");
            }
            if (out.containsValue(address)) {
                throw GmqException.invalidArgument("--peers gives " + address + " to two nodes");
            }
            out.put(id, address);
        }
        return new ClusterPeers(self, out);
    }

    /**
     * Checks a node id ({@code --node-id}, {@code cluster remove-node}); INVALID_ARGUMENT naming
     * the rule when it is malformed.
     */
    public static String checkNodeId(String id) {
        return checkId(id);
    }

    /**
     * Checks a node to add ({@code cluster add-node}): its id, and its Raft address as
     * {@code HOST:PORT} with a real port. INVALID_ARGUMENT naming the rule.
     */
    public static void checkNewNode(String id, String raftAddress) {
        checkId(id);
        if (raftAddress == null) {
            throw GmqException.invalidArgument("the new node's Raft address is missing; expected HOST:PORT");
        }
        checkAddress(raftAddress, false);
    }

    public int size() {
        return raftAddresses.size();
    }

    public String selfAddress() {
        return raftAddresses.get(self);
    }

    private static String checkId(String id) {
        if (id == null || !id.matches("[A-Za-z0-9_-]{1,64}")) {
            throw GmqException.invalidArgument(
                    "node id '" + id + "' must be 1-64 letters, digits, '-' or '_' (for example 1)");
        }
        return id;
    }

    private static String checkAddress(String address, boolean portZeroAllowed) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0) {
            throw GmqException.invalidArgument("Raft address '" + address + "' is not HOST:PORT");
        }
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw GmqException.invalidArgument("Raft address '" + address + "' has no port number");
        }
        if (port < 0 || port > 65535 || (port == 0 && !portZeroAllowed)) {
            throw GmqException.invalidArgument("Raft address '" + address + "': port must be 1-65535"
                    + (portZeroAllowed ? " or 0" : " (0 only for a single node)"));
        }
        return address;
    }
}
