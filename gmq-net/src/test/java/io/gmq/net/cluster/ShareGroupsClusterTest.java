package io.gmq.net.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.OffsetSpec;
import io.gmq.Ordering;
import io.gmq.storage.Storage;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A replicated storage cluster does not hold share groups yet: a share member's join is refused
 * with FAILED_PRECONDITION naming the reason, and nothing is created.
 */
class ShareGroupsClusterTest {
    @TempDir
    Path dir;

    private InProcessNodes cluster;

    @AfterEach
    void stopAll() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    @Test
    void aShareGroupIsRefusedClearlyByAStorageCluster() {
        cluster = new InProcessNodes(dir);
        cluster.startThree();
        Storage viaNode1 = cluster.client("1");
        viaNode1.createTopic("jobs", 3);
        GmqException e = assertThrows(
                GmqException.class,
                () -> viaNode1.joinShareGroup(
                        "workers", "c", Set.of("jobs"), 10_000, Ordering.PARTITION, OffsetSpec.earliest()));
        assertEquals(ErrorCode.FAILED_PRECONDITION, e.code());
        assertTrue(e.getMessage().contains("share groups"), e.getMessage());
        assertTrue(viaNode1.listGroups().isEmpty());
    }
}
