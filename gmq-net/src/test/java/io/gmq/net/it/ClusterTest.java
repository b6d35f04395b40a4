package io.gmq.net.it;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the multi-process tests: each test gets a {@link Cluster} over a fresh temporary
 * directory, closed after the test (every process it started is stopped), also when it fails.
 */
abstract class ClusterTest {
    @TempDir
    Path dir;

    Cluster cluster;

    @BeforeEach
    void openCluster() throws Exception {
        cluster = new Cluster(dir);
    }

    @AfterEach
    void closeCluster() {
        cluster.close();
    }
}
