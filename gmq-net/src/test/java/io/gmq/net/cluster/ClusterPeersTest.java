package io.gmq.net.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterPeersTest {
    @Test
    void parsesIdsAndAddressesInOrder() {
        ClusterPeers p = ClusterPeers.parse("2", "1=10.0.0.1:6001, 2=10.0.0.2:6001,3=h3:6001");
        assertEquals("2", p.self());
        assertEquals("10.0.0.2:6001", p.selfAddress());
        assertEquals(Map.of("1", "10.0.0.1:6001", "2", "10.0.0.2:6001", "3", "h3:6001"), p.raftAddresses());
        assertEquals(3, p.size());
    }

    @Test
    void refusesWhatCannotFormACluster() {
        assertRefused("1", "1=h:1,1=h:2", "names node 1 twice");
        assertRefused("1", "1=h:1,2=h:1", "gives h:1 to two nodes");
        assertRefused("4", "1=h:1,2=h:2,3=h:3", "--node-id 4 is not in --peers");
        assertRefused("1", "", "--peers is empty");
        assertRefused("1", "1=h:1,2", "is not ID=HOST:PORT");
        assertRefused("1", "1=h:1,2=h:0", "0 only for a single node");
        assertRefused("1", "1=h:1,2=h:70000", "port must be 1-65535");
        assertRefused("1", "1=h:1,2=h", "is not HOST:PORT");
        assertRefused("a b", "a b=h:1", "must be 1-64 letters");
    }

    @Test
    void aSingleNodeMayTakePortZero() {
        assertEquals("127.0.0.1:0", ClusterPeers.parse("1", "1=127.0.0.1:0").selfAddress());
    }

    private static void assertRefused(String self, String peers, String expected) {
        GmqException e = assertThrows(GmqException.class, () -> ClusterPeers.parse(self, peers));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
