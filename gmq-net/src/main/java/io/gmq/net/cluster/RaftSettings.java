package io.gmq.net.cluster;

import io.gmq.GmqConfig;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Ratis settings of a storage node's Raft server, each with the reason for its value; an
 * operator overrides any Ratis key with {@code -Dgmq.raft.KEY=VALUE} (docs/CLUSTER.md).
 */
final class RaftSettings {
    private static final Logger LOG = LoggerFactory.getLogger(RaftSettings.class);

    /** How long a read barrier may wait for a majority (no lease) or for this node to apply. */
    static final long READ_TIMEOUT_MILLIS = 3_000;

    private RaftSettings() {}

    /** The settings of node {@code peers.self()} over {@code dataDir}, overrides applied. */
    static RaftProperties of(ClusterPeers peers, Path dataDir, GmqConfig config) {
        RaftProperties props = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(
                props, List.of(dataDir.resolve("raft").toFile()));
        InetSocketAddress self = StorageNode.address(peers.selfAddress());
        GrpcConfigKeys.Server.setHost(props, self.getHostString());
        GrpcConfigKeys.Server.setPort(props, self.getPort());
        // An entry holds at most one batch and its envelope; Ratis wants 1 MiB of headroom above it.
        long entryLimit = config.maxBatchBytes() + (1L << 20);
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(props, SizeInBytes.valueOf(entryLimit));
        GrpcConfigKeys.setMessageSizeMax(props, SizeInBytes.valueOf(entryLimit + (1L << 20)));
        RaftServerConfigKeys.Log.setWriteBufferSize(props, SizeInBytes.valueOf(entryLimit + (64 << 10)));
        // Ratis keeps recent log segments in memory for followers that lag; bound it to a few.
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(props, 2);
        RaftServerConfigKeys.Log.setSegmentCacheSizeMax(
                props, SizeInBytes.valueOf(Math.max(64L << 20, 2 * entryLimit)));
        // Ratis purges whole closed segments only: smaller ones let a purge behind a snapshot free
        // more of the log (34 MiB with the default 16 MiB batch limit; 64 MiB kept a 40 MB log whole).
        RaftServerConfigKeys.Log.setSegmentSizeMax(props, SizeInBytes.valueOf(Math.max(8L << 20, 2 * entryLimit)));
        // Elections on a loaded machine: a leader missing for a second is not worth a new term.
        RaftServerConfigKeys.Rpc.setTimeoutMin(props, TimeDuration.valueOf(1000, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setTimeoutMax(props, TimeDuration.valueOf(2000, TimeUnit.MILLISECONDS));
        RaftServerConfigKeys.Rpc.setRequestTimeout(props, TimeDuration.valueOf(5000, TimeUnit.MILLISECONDS));

        // Reads from a leader's replica confirm first that it still leads (its lease: a majority
        // answered within 0.9 of the minimum election timeout, so no other leader can exist yet;
        // else a heartbeat round) and that it applied what was committed: readBarrier.
        RaftServerConfigKeys.Read.setOption(props, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Read.setLeaderLeaseEnabled(props, true);
        RaftServerConfigKeys.Read.setTimeout(props, TimeDuration.valueOf(READ_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS));

        // The appender's default 1 ms pause between AppendEntries calls is latency on every
        // commit (Ozone runs with 0 too); entries that queue meanwhile still go out together.
        RaftServerConfigKeys.Log.Appender.setWaitTimeMin(props, TimeDuration.ZERO);
        // Heartbeats on the append stream, not on a channel of their own (Ratis 3.3's default):
        // once, a node started last got one heartbeat INCONSISTENCY reply and then no entry for
        // minutes (docs/FAULTS.md, findings); the separate channel is where Ratis has had such bugs.
        GrpcConfigKeys.Server.setHeartbeatChannel(props, false);
        // Snapshots (docs/CLUSTER.md, "Snapshots"): every ReplicaSnapshots.INTERVAL_ENTRIES applied entries,
        // and at a clean stop. The log is then purged up to the snapshot whatever the followers
        // have (a follower behind it gets the snapshot), but the last INTERVAL_ENTRIES
        // entries are kept: a follower briefly away catches up from the log, and a restart can
        // fall back to the previous snapshot if the newest is found damaged.
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(props, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(props, ReplicaSnapshots.INTERVAL_ENTRIES);
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(props, ReplicaSnapshots.RETAINED);
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(props, true);
        RaftServerConfigKeys.Log.setPurgePreservationLogNum(props, ReplicaSnapshots.INTERVAL_ENTRIES);
        // A snapshot travels in chunks that must fit a gRPC message.
        RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(props, SizeInBytes.valueOf(1 << 20));
        applyRaftOverrides(props);
        return props;
    }

    /** Ratis keys prefixed with "gmq." as JVM system properties, e.g. -Dgmq.raft.server.log.force.sync.num=64. */
    static final String RAFT_OVERRIDE_PREFIX = "gmq.raft.";

    /** Expert tuning: every {@code -Dgmq.raft.*} system property is set on the Ratis properties (without "gmq."). */
    private static void applyRaftOverrides(RaftProperties props) {
        for (String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(RAFT_OVERRIDE_PREFIX)) {
                String key = name.substring("gmq.".length());
                props.set(key, System.getProperty(name));
                LOG.info("Ratis setting {} = {} (from -D{})", key, System.getProperty(name), name);
            }
        }
    }
}
