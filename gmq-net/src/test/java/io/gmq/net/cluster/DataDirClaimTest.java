package io.gmq.net.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.protocol.RaftPeer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node's data directory names its cluster and follows its membership changes; another
 * cluster's, a single node's, or one given the member list from before a change is refused
 * untouched.
 */
class DataDirClaimTest {
    private static final ClusterPeers A = ClusterPeers.parse("1", "1=h:1,2=h:2,3=h:3");
    private static final ClusterPeers B = ClusterPeers.parse("1", "1=h:1,2=h:2,3=h:4");

    @TempDir
    Path dir;

    @Test
    void aNewDirectoryIsClaimedAndTheSameClusterComesBack() throws IOException {
        Path d = dir.resolve("node");
        DataDirClaim.claim(A, d);
        assertEquals(
                "1=h:1,2=h:2,3=h:3",
                Files.readString(d.resolve(DataDirClaim.CLUSTER_FILE), StandardCharsets.UTF_8)
                        .trim());
        DataDirClaim.claim(ClusterPeers.parse("2", "3=h:3,2=h:2,1=h:1"), d);
    }

    @Test
    void anotherClustersDirectoryIsRefusedUnchanged() throws IOException {
        Path d = dir.resolve("node");
        DataDirClaim.claim(A, d);
        GmqException e = assertThrows(GmqException.class, () -> DataDirClaim.claim(B, d));
        assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("belongs to the storage cluster 1=h:1,2=h:2,3=h:3"), e.getMessage());
        assertEquals(
                "1=h:1,2=h:2,3=h:3",
                Files.readString(d.resolve(DataDirClaim.CLUSTER_FILE), StandardCharsets.UTF_8)
                        .trim());
    }

    @Test
    void aSingleNodeStoragesDirectoryIsRefusedUnchanged() throws IOException {
        Path d = Files.createDirectories(dir.resolve("single"));
        Files.writeString(d.resolve("gmq.db"), "x");
        GmqException e = assertThrows(GmqException.class, () -> DataDirClaim.claim(A, d));
        assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("single-node storage"), e.getMessage());
        assertFalse(Files.exists(d.resolve(DataDirClaim.CLUSTER_FILE)));
    }

    @Test
    void aRaftLogWithoutItsClusterFileIsRefused() throws IOException {
        Path d = Files.createDirectories(dir.resolve("orphan").resolve("raft")).getParent();
        GmqException e = assertThrows(GmqException.class, () -> DataDirClaim.claim(A, d));
        assertTrue(e.getMessage().contains("refusing to guess"), e.getMessage());
        assertFalse(Files.exists(d.resolve(DataDirClaim.CLUSTER_FILE)));
    }

    @Test
    void aRestartWithTheMembersFromBeforeAChangeIsRefusedNamingTheCurrentOnes() throws IOException {
        Path d = dir.resolve("node");
        DataDirClaim.claim(A, d);
        DataDirClaim.follow(d, "1", 40, conf(Map.of("1", "h:1", "2", "h:2", "3", "h:3", "4", "h:5")), 40);
        assertEquals("1=h:1,2=h:2,3=h:3,4=h:5", clusterFile(d));

        GmqException e = assertThrows(GmqException.class, () -> DataDirClaim.claim(A, d));
        assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
        assertTrue(
                e.getMessage().contains("belongs to the storage cluster 1=h:1,2=h:2,3=h:3,4=h:5")
                        && e.getMessage().contains("start the node with --peers 1=h:1,2=h:2,3=h:3,4=h:5"),
                e.getMessage());
        assertEquals("1=h:1,2=h:2,3=h:3,4=h:5", clusterFile(d));
        assertFalse(Files.exists(d.resolve(DataDirClaim.CLUSTER_FILE + ".tmp")));
        DataDirClaim.claim(ClusterPeers.parse("1", "4=h:5,1=h:1,2=h:2,3=h:3"), d);

        DataDirClaim.follow(d, "1", 50, conf(Map.of("1", "h:1", "4", "h:5")), 50);
        assertEquals("1=h:1,4=h:5", clusterFile(d));
    }

    @Test
    void onlyTheLatestSettledMembershipWithThisNodeIsRecorded() throws IOException {
        Path d = dir.resolve("node");
        DataDirClaim.claim(A, d);
        Map<String, String> four = Map.of("1", "h:1", "2", "h:2", "3", "h:3", "4", "h:5");
        // Joint consensus (old and new members): the next entry settles it.
        RaftConfigurationProto joint = conf(four).toBuilder()
                .addAllOldPeers(conf(Map.of("1", "h:1", "2", "h:2", "3", "h:3")).getPeersList())
                .build();
        DataDirClaim.follow(d, "1", 40, joint, 40);
        // Replayed at a start: a newer configuration is in the log already.
        DataDirClaim.follow(d, "1", 41, conf(four), 60);
        // A membership without this node (a joining node replays the ones before it was added).
        DataDirClaim.follow(d, "1", 70, conf(Map.of("2", "h:2", "3", "h:3")), 70);
        assertEquals("1=h:1,2=h:2,3=h:3", clusterFile(d));
    }

    private static RaftConfigurationProto conf(Map<String, String> members) {
        RaftConfigurationProto.Builder b = RaftConfigurationProto.newBuilder();
        members.forEach((id, address) -> b.addPeers(
                RaftPeer.newBuilder().setId(id).setAddress(address).build().getRaftPeerProto()));
        return b.build();
    }

    private static String clusterFile(Path d) throws IOException {
        return Files.readString(d.resolve(DataDirClaim.CLUSTER_FILE), StandardCharsets.UTF_8)
                .trim();
    }
}
