package io.gmq.net.cluster;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.ratis.proto.RaftProtos.RaftPeerRole;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the data groups a node does not hold are: their members and leader, as a member's Raft
 * server describes them (asked over Raft, {@link GroupInfoClient}), remembered for
 * {@link #FRESH_MILLIS}. A node forwards reads and proposals of such a group to it (a broker
 * connected to that node, before it knows the leaders). Asked in turn: the members known so far,
 * then every node of the cluster (all hold the metadata group); a node that does not hold the
 * group answers that it does not.
 */
final class GroupDirectory {
    private static final Logger LOG = LoggerFactory.getLogger(GroupDirectory.class);
    /** How long an answer is used before a member is asked again. */
    static final long FRESH_MILLIS = 1_000;

    /** A group as a member described it; {@code leader} null when that member knew none. */
    record Entry(RaftGroup group, RaftPeerId leader, long atNanos) {}

    /** Asks node {@code at} how it sees group {@code shard}. */
    interface Asker {
        GroupInfoReply ask(RaftShard shard, RaftPeerId at) throws IOException;
    }

    private final RaftPeerId self;
    private final Asker asker;
    /** The nodes of the cluster now (the metadata group's members). */
    private final Supplier<List<RaftPeer>> nodes;
    /** What to assume before any member answered: the placement this node was started with. */
    private final Function<RaftShard, RaftGroup> initial;

    private final Map<RaftGroupId, Entry> known = new ConcurrentHashMap<>();

    GroupDirectory(
            RaftPeerId self, Asker asker, Supplier<List<RaftPeer>> nodes, Function<RaftShard, RaftGroup> initial) {
        this.self = self;
        this.asker = asker;
        this.nodes = nodes;
        this.initial = initial;
    }

    /** Group {@code shard} as last described, asked again when older than {@link #FRESH_MILLIS}. */
    Entry lookup(RaftShard shard) {
        Entry e = known.get(shard.id());
        if (e != null && System.nanoTime() - e.atNanos() < TimeUnit.MILLISECONDS.toNanos(FRESH_MILLIS)) {
            return e;
        }
        Entry asked = ask(shard, e);
        if (asked != null) {
            known.put(shard.id(), asked);
            return asked;
        }
        return e != null ? new Entry(e.group(), null, e.atNanos()) : new Entry(initial.apply(shard), null, 0);
    }

    /** Forgets what is known of {@code shard}'s leader (a call to it failed): the next lookup asks. */
    void forget(RaftShard shard) {
        known.remove(shard.id());
    }

    private Entry ask(RaftShard shard, Entry last) {
        Set<RaftPeerId> candidates = new LinkedHashSet<>();
        if (last != null && last.leader() != null) {
            candidates.add(last.leader());
        }
        RaftGroup guess = last != null ? last.group() : initial.apply(shard);
        guess.getPeers().forEach(p -> candidates.add(p.getId()));
        nodes.get().forEach(p -> candidates.add(p.getId()));
        candidates.remove(self);
        List<String> failures = new ArrayList<>();
        for (RaftPeerId at : candidates) {
            try {
                GroupInfoReply r = asker.ask(shard, at);
                if (r != null && r.isSuccess() && !r.getGroup().getPeers().isEmpty()) {
                    return new Entry(r.getGroup(), leaderOf(r), System.nanoTime());
                }
            } catch (IOException | RuntimeException e) {
                failures.add(at + ": " + e.getClass().getSimpleName());
            }
        }
        LOG.debug("no node described storage group {} ({})", shard.name(), failures);
        return null;
    }

    /** The leader as the answering member knows it, or null. */
    static RaftPeerId leaderOf(GroupInfoReply r) {
        var role = r.getRoleInfoProto();
        if (role.getRole() == RaftPeerRole.LEADER) {
            return RaftPeerId.valueOf(role.getSelf().getId());
        }
        if (role.hasFollowerInfo()) {
            var id = role.getFollowerInfo().getLeaderInfo().getId().getId();
            return id.isEmpty() ? null : RaftPeerId.valueOf(id);
        }
        return null;
    }
}
