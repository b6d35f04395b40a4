package io.gmq.net.cluster;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.protocol.exceptions.GroupMismatchException;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts and drops one node's member of a data group, over that node's Raft server (Ratis group
 * management), for {@link ClusterMembership}'s moves: a node gets an empty member before the
 * group's leader adds it to the configuration (it then holds no election and waits to be brought
 * up to date), and drops its member, Raft directory and replica after a configuration without it
 * committed.
 */
final class GroupHosts {
    private static final Logger LOG = LoggerFactory.getLogger(GroupHosts.class);
    /** How long a node's Raft server may take to add or drop a group. */
    static final long TIMEOUT_MILLIS = 10_000;

    private GroupHosts() {}

    /** Starts an empty member of {@code shard} on node {@code at}; one it holds already is kept. */
    static void add(RaftShard shard, RaftPeer at) {
        try (RaftClient c = client(shard, at)) {
            RaftClientReply r = c.getGroupManagementApi(at.getId()).add(RaftGroup.valueOf(shard.id()), true);
            if (!r.isSuccess()) {
                throw failed(
                        "starting a member of storage group " + shard.name() + " on node " + at.getId(),
                        r.getException());
            }
        } catch (AlreadyExistsException e) {
            LOG.debug("node {} holds storage group {} already", at.getId(), shard.name());
        } catch (IOException | RuntimeException e) {
            if (e instanceof GmqException g) {
                throw g;
            }
            throw failed("starting a member of storage group " + shard.name() + " on node " + at.getId(), e);
        }
    }

    /**
     * Drops node {@code at}'s member of {@code shard}, deleting its Raft directory (the state
     * machine deletes the replica). Best effort: a node that does not answer keeps a member no
     * configuration names, which its Raft server shuts down when it asks for votes.
     */
    static void remove(RaftShard shard, RaftPeer at) {
        try (RaftClient c = client(shard, at)) {
            RaftClientReply r = c.getGroupManagementApi(at.getId()).remove(shard.id(), true, false);
            if (!r.isSuccess()) {
                LOG.warn("node {} did not drop storage group {}: {}", at.getId(), shard.name(), r.getException());
            }
        } catch (GroupMismatchException e) {
            LOG.debug("node {} holds no member of storage group {}", at.getId(), shard.name());
        } catch (IOException | RuntimeException e) {
            LOG.warn("node {} did not drop storage group {}: {}", at.getId(), shard.name(), e.toString());
        }
    }

    private static RaftClient client(RaftShard shard, RaftPeer at) {
        RaftProperties props = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
        return RaftClient.newBuilder()
                .setProperties(props)
                .setRaftGroup(RaftGroup.valueOf(shard.id(), at))
                .setClientId(ClientId.randomId())
                .setRetryPolicy(RetryPolicies.noRetry())
                .build();
    }

    private static GmqException failed(String what, Throwable cause) {
        return new GmqException(ErrorCode.UNAVAILABLE, what + " failed (" + cause + "); retry the command", cause);
    }
}
