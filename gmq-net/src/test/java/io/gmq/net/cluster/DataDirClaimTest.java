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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A node's data directory names its cluster; another cluster's or a single node's is refused untouched. */
class DataDirClaimTest {
    private static final ClusterPeers A = ClusterPeers.parse("1", "1=h:1,2=h:2,3=h:3");
    private static final ClusterPeers B = ClusterPeers.parse("1", "1=h:1,2=h:2,3=h:4");

    @TempDir
    Path dir;

    @Test
    void aNewDirectoryIsClaimedAndTheSameClusterComesBack() throws IOException {
        Path d = dir.resolve("node");
        StorageNode.claimDataDir(A, d);
        assertEquals(
                "1=h:1,2=h:2,3=h:3",
                Files.readString(d.resolve(StorageNode.CLUSTER_FILE), StandardCharsets.UTF_8)
                        .trim());
        StorageNode.claimDataDir(ClusterPeers.parse("2", "3=h:3,2=h:2,1=h:1"), d);
    }

    @Test
    void anotherClustersDirectoryIsRefusedUnchanged() throws IOException {
        Path d = dir.resolve("node");
        StorageNode.claimDataDir(A, d);
        GmqException e = assertThrows(GmqException.class, () -> StorageNode.claimDataDir(B, d));
        assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("belongs to the storage cluster 1=h:1,2=h:2,3=h:3"), e.getMessage());
        assertEquals(
                "1=h:1,2=h:2,3=h:3",
                Files.readString(d.resolve(StorageNode.CLUSTER_FILE), StandardCharsets.UTF_8)
                        .trim());
    }

    @Test
    void aSingleNodeStoragesDirectoryIsRefusedUnchanged() throws IOException {
        Path d = Files.createDirectories(dir.resolve("single"));
        Files.writeString(d.resolve("gmq.db"), "x");
        GmqException e = assertThrows(GmqException.class, () -> StorageNode.claimDataDir(A, d));
        assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("single-node storage"), e.getMessage());
        assertFalse(Files.exists(d.resolve(StorageNode.CLUSTER_FILE)));
    }

    @Test
    void aRaftLogWithoutItsClusterFileIsRefused() throws IOException {
        Path d = Files.createDirectories(dir.resolve("orphan").resolve("raft")).getParent();
        GmqException e = assertThrows(GmqException.class, () -> StorageNode.claimDataDir(A, d));
        assertTrue(e.getMessage().contains("refusing to guess"), e.getMessage());
        assertFalse(Files.exists(d.resolve(StorageNode.CLUSTER_FILE)));
    }
}
