package io.gmq.net.cluster;

import java.io.IOException;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks other nodes' Raft servers how they see a group (cluster describe asks each group's
 * leader), with one Raft client that knows the members as they are now (every group has the
 * same): replaced when they change. No retry: a node that does not answer within
 * {@link #TIMEOUT_MILLIS} is described from this node's own view instead.
 */
final class GroupInfoClient implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(GroupInfoClient.class);
    /** How long another node's Raft server may take to describe a group. */
    static final long TIMEOUT_MILLIS = 1_000;

    private RaftClient client;
    private List<RaftPeer> peers = List.of();

    /** Group {@code shard} as node {@code at}, a member of {@code members}, describes it. */
    synchronized GroupInfoReply info(RaftGroup members, RaftShard shard, RaftPeerId at) throws IOException {
        if (client == null || !client.getGroupId().equals(members.getGroupId()) || !peers.equals(members.getPeers())) {
            close();
            RaftProperties p = new RaftProperties();
            RaftClientConfigKeys.Rpc.setRequestTimeout(p, TimeDuration.valueOf(TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));
            client = RaftClient.newBuilder()
                    .setProperties(p)
                    .setRaftGroup(members)
                    .setClientId(ClientId.randomId())
                    .setRetryPolicy(RetryPolicies.noRetry())
                    .build();
            peers = List.copyOf(members.getPeers());
        }
        return client.getGroupManagementApi(at).info(shard.id());
    }

    @Override
    public synchronized void close() {
        if (client == null) {
            return;
        }
        try {
            client.close();
        } catch (IOException e) {
            LOG.debug("closing the group info client: {}", e.toString());
        }
        client = null;
    }
}
