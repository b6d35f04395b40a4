package io.gmq.net.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which nodes hold which data group: {@link #REPLICAS} nodes each (every node while the cluster
 * has fewer), spread so that each node holds about as many replicas as any other. The metadata
 * group is not placed: every node holds it (it is small, and every node then knows the topics,
 * the nodes' addresses and where each data group is).
 *
 * <p>A new cluster places the data groups with {@link #initial}; every node computes the same
 * from its {@code --peers}. After that the placement is what each group's Raft
 * configuration says, changed only by {@link ClusterMembership}: adding a node moves replicas to
 * it from the nodes holding the most, removing one moves its replicas to the nodes holding the
 * fewest. Pure functions over node ids; no I/O.
 */
final class Placement {
    /** Replicas of a data group (a majority of 3 survives one lost node). */
    static final int REPLICAS = 3;

    /** One change of one data group: node {@code out} leaves it (null: none), node {@code in} joins it (null: none). */
    record Move(int group, String out, String in) {}

    private Placement() {}

    /**
     * Data group {@code group}'s members in a new cluster of {@code ids}, its preferred leader
     * first: the cluster's replica slots dealt round-robin over the nodes in id order (group g
     * takes slots 3g, 3g + 1, 3g + 2), so every node holds as many replicas as any other, give or
     * take one; the preferred leader is the group's (g mod 3)-th node, so leaders spread too.
     */
    static List<String> initial(Collection<String> ids, int group) {
        List<String> sorted = new ArrayList<>(ids);
        sorted.sort(Comparator.naturalOrder());
        int n = Math.min(REPLICAS, sorted.size());
        List<String> members = new ArrayList<>(n);
        for (int k = 0; k < n; k++) {
            members.add(sorted.get((REPLICAS * group + k) % sorted.size()));
        }
        java.util.Collections.rotate(members, -(group % n));
        return members;
    }

    /**
     * The moves that bring node {@code added} into a cluster whose data groups have the members
     * {@code groups} (group index -> node ids) and whose nodes are {@code nodes} ({@code added}
     * among them): first every group short of {@link #REPLICAS} gains it, then, while it holds
     * fewer replicas than the even share, one replica of the node holding the most moves to it.
     */
    static List<Move> afterAdd(Map<Integer, List<String>> groups, Collection<String> nodes, String added) {
        Map<Integer, List<String>> now = copy(groups);
        List<Move> moves = new ArrayList<>();
        for (var e : now.entrySet()) {
            if (e.getValue().size() < Math.min(REPLICAS, nodes.size())
                    && !e.getValue().contains(added)) {
                moves.add(new Move(e.getKey(), null, added));
                e.getValue().add(added);
            }
        }
        int share = replicas(now) / nodes.size();
        while (load(now, added) < share) {
            Move m = fromBusiest(now, nodes, added);
            if (m == null) {
                break;
            }
            moves.add(m);
            now.get(m.group()).remove(m.out());
            now.get(m.group()).add(added);
        }
        return moves;
    }

    /**
     * The moves that take node {@code removed} out of every data group of {@code groups}: each of
     * its replicas goes to the node among {@code remaining} holding the fewest that is not in that
     * group yet; a group with no such node keeps its other members only.
     */
    static List<Move> afterRemove(Map<Integer, List<String>> groups, Collection<String> remaining, String removed) {
        Map<Integer, List<String>> now = copy(groups);
        List<Move> moves = new ArrayList<>();
        for (var e : now.entrySet()) {
            List<String> members = e.getValue();
            if (!members.contains(removed)) {
                continue;
            }
            String in = remaining.stream()
                    .filter(id -> !id.equals(removed) && !members.contains(id))
                    .min(Comparator.comparingInt((String id) -> load(now, id)).thenComparing(Comparator.naturalOrder()))
                    .orElse(null);
            moves.add(new Move(e.getKey(), removed, in));
            members.remove(removed);
            if (in != null) {
                members.add(in);
            }
        }
        return moves;
    }

    /** {@code groups} with {@code moves} applied. */
    static Map<Integer, List<String>> apply(Map<Integer, List<String>> groups, List<Move> moves) {
        Map<Integer, List<String>> now = copy(groups);
        for (Move m : moves) {
            List<String> members = now.get(m.group());
            if (m.out() != null) {
                members.remove(m.out());
            }
            if (m.in() != null && !members.contains(m.in())) {
                members.add(m.in());
            }
        }
        return now;
    }

    /** Replicas node {@code id} holds. */
    static int load(Map<Integer, List<String>> groups, String id) {
        int n = 0;
        for (List<String> members : groups.values()) {
            if (members.contains(id)) {
                n++;
            }
        }
        return n;
    }

    /** One replica of the node holding the most (ties: lowest id), in a group {@code to} is not in yet. */
    private static Move fromBusiest(Map<Integer, List<String>> groups, Collection<String> nodes, String to) {
        List<String> busiest = nodes.stream()
                .filter(id -> !id.equals(to))
                .sorted(Comparator.comparingInt((String id) -> -load(groups, id))
                        .thenComparing(Comparator.naturalOrder()))
                .toList();
        for (String from : busiest) {
            if (load(groups, from) <= load(groups, to) + 1) {
                return null; // moving would not even the loads out
            }
            for (var e : groups.entrySet()) {
                if (e.getValue().contains(from) && !e.getValue().contains(to)) {
                    return new Move(e.getKey(), from, to);
                }
            }
        }
        return null;
    }

    private static int replicas(Map<Integer, List<String>> groups) {
        return groups.values().stream().mapToInt(List::size).sum();
    }

    private static Map<Integer, List<String>> copy(Map<Integer, List<String>> groups) {
        Map<Integer, List<String>> copy = new TreeMap<>();
        groups.forEach((g, members) -> copy.put(g, new ArrayList<>(members)));
        return copy;
    }
}
