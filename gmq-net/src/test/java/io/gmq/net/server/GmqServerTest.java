package io.gmq.net.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What every process serves besides GMQ itself: health checks and reflection. */
final class GmqServerTest {
    @TempDir
    Path dir;

    @Test
    void standaloneServerReportsServingForItselfAndBothServices() throws Exception {
        try (GmqServer server = GmqServer.standalone(
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build(), "127.0.0.1", 0)) {
            ManagedChannel ch = NettyChannelBuilder.forTarget("127.0.0.1:" + server.port())
                    .usePlaintext()
                    .build();
            try {
                HealthGrpc.HealthBlockingStub health =
                        HealthGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS);
                for (String service : List.of("", "gmq.v1.GmqBroker", "gmq.v1.GmqStorage")) {
                    assertEquals(
                            ServingStatus.SERVING,
                            health.check(HealthCheckRequest.newBuilder()
                                            .setService(service)
                                            .build())
                                    .getStatus(),
                            service);
                }
                List<String> services = listServices(ch);
                assertTrue(
                        services.containsAll(List.of("gmq.v1.GmqBroker", "gmq.v1.GmqStorage", "grpc.health.v1.Health")),
                        services.toString());
            } finally {
                ch.shutdownNow();
            }
        }
    }

    @Test
    void storageProcessServesOnlyTheStorageService() throws Exception {
        try (GmqServer server =
                GmqServer.storage(GmqConfig.builder().dataDir(dir).build(), "127.0.0.1", 0)) {
            ManagedChannel ch = NettyChannelBuilder.forTarget("127.0.0.1:" + server.port())
                    .usePlaintext()
                    .build();
            try {
                List<String> services = listServices(ch);
                assertTrue(services.contains("gmq.v1.GmqStorage"));
                assertTrue(!services.contains("gmq.v1.GmqBroker"), services.toString());
            } finally {
                ch.shutdownNow();
            }
        }
    }

    private static List<String> listServices(ManagedChannel ch) throws Exception {
        CompletableFuture<List<String>> result = new CompletableFuture<>();
        StreamObserver<ServerReflectionRequest> req = ServerReflectionGrpc.newStub(ch)
                .serverReflectionInfo(new StreamObserver<>() {
                    @Override
                    public void onNext(ServerReflectionResponse r) {
                        result.complete(r.getListServicesResponse().getServiceList().stream()
                                .map(s -> s.getName())
                                .toList());
                    }

                    @Override
                    public void onError(Throwable t) {
                        result.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {}
                });
        req.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
        List<String> names = result.get(10, TimeUnit.SECONDS);
        req.onCompleted();
        return names;
    }
}
