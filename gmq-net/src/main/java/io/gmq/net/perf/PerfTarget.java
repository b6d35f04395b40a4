package io.gmq.net.perf;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.client.ClientConfig;
import io.gmq.client.GmqClient;
import io.gmq.wire.ChannelSecurity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Where a perf run sends its load: brokers over gRPC, or an engine inside this JVM
 * ({@code embedded:DIR}). Both go through {@link GmqClient}, so the figures of the two modes come
 * from the same code path above the client.
 *
 * <p>An embedded data directory can be opened by one engine at a time, so in embedded mode every
 * "client" of a run is the same one (see {@link #sharesOneClient()}).
 */
public record PerfTarget(
        String serverAddr, Duration linger, Integer batchBytes, ChannelSecurity security, Boolean idempotence) {
    public static final String DEFAULT_SERVER = "localhost:50051";

    /** {@code linger}, {@code batchBytes} null: the client's defaults. Plaintext, no token. */
    public static PerfTarget server(String hostPort, Duration linger, Integer batchBytes) {
        return new PerfTarget(hostPort, linger, batchBytes, ChannelSecurity.PLAINTEXT, null);
    }

    public static PerfTarget embedded(String dataDir, Duration linger, Integer batchBytes) {
        return new PerfTarget(
                ClientConfig.EMBEDDED_PREFIX + dataDir, linger, batchBytes, ChannelSecurity.PLAINTEXT, null);
    }

    /** The same target reached with TLS and/or a token (as the other client commands take them). */
    public PerfTarget withSecurity(ChannelSecurity security) {
        return new PerfTarget(serverAddr, linger, batchBytes, security, idempotence);
    }

    /** The same target with the clients' {@link ClientConfig#idempotence()} set (null: the client's default). */
    public PerfTarget withIdempotence(Boolean idempotence) {
        return new PerfTarget(serverAddr, linger, batchBytes, security, idempotence);
    }

    public boolean sharesOneClient() {
        return serverAddr.startsWith(ClientConfig.EMBEDDED_PREFIX);
    }

    public ClientConfig.Builder config() {
        return config(0);
    }

    /**
     * The settings of a run's {@code client}-th client: with several brokers listed
     * ({@code "a:1,b:2,c:3"}), client {@code i} starts at broker {@code i mod N} and fails over
     * along the rest of the list, so a run's clients spread over the brokers like the connections
     * of many applications would.
     */
    public ClientConfig.Builder config(int client) {
        ClientConfig.Builder b = ClientConfig.builder()
                .serverAddr(rotated(serverAddr, client))
                .tls(security.caFile())
                .tlsClientCert(security.certFile(), security.keyFile())
                .token(security.token());
        if (linger != null) {
            b.linger(linger);
        }
        if (batchBytes != null) {
            b.maxBatchBytes(batchBytes);
        }
        if (idempotence != null) {
            b.idempotence(idempotence);
        }
        return b;
    }

    /** {@code addresses} (comma-separated, as the client reads them) starting at the {@code by}-th, wrapping around. */
    static String rotated(String addresses, int by) {
        List<String> list = new ArrayList<>(
                ClientConfig.builder().serverAddr(addresses).build().addresses());
        if (list.size() < 2) {
            return addresses;
        }
        Collections.rotate(list, -Math.floorMod(by, list.size()));
        return String.join(",", list);
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
