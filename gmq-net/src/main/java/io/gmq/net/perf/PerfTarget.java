package io.gmq.net.perf;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import java.time.Duration;

/**
 * Where a perf run sends its load: brokers over gRPC, or an engine inside this JVM
 * ({@code embedded:DIR}). Both go through {@link GmqClient}, so the figures of the two modes come
 * from the same code path above the client.
 *
 * <p>An embedded data directory can be opened by one engine at a time, so in embedded mode every
 * "client" of a run is the same one (see {@link #sharesOneClient()}).
 */
public record PerfTarget(String serverAddr, Duration linger, Integer batchBytes) {
    public static final String DEFAULT_SERVER = "localhost:50051";

    /** {@code linger}, {@code batchBytes} null: the client's defaults. */
    public static PerfTarget server(String hostPort, Duration linger, Integer batchBytes) {
        return new PerfTarget(hostPort, linger, batchBytes);
    }

    public static PerfTarget embedded(String dataDir, Duration linger, Integer batchBytes) {
        return new PerfTarget(ClientConfig.EMBEDDED_PREFIX + dataDir, linger, batchBytes);
    }

    public boolean sharesOneClient() {
        return serverAddr.startsWith(ClientConfig.EMBEDDED_PREFIX);
    }

    public ClientConfig.Builder config() {
        ClientConfig.Builder b = ClientConfig.builder().serverAddr(serverAddr);
        if (linger != null) {
            b.linger(linger);
        }
        if (batchBytes != null) {
            b.maxBatchBytes(batchBytes);
        }
        return b;
    }

    /** Creates {@code topic} with {@code partitions} unless it exists (then its partition count stays). */
    static void ensureTopic(GmqClient client, String topic, int partitions) {
        try {
            client.createTopic(topic, partitions);
        } catch (GmqException e) {
            if (e.code() != ErrorCode.ALREADY_EXISTS) {
                throw e;
            }
        }
    }
}
