package io.gmq.net.cli;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import io.gmq.proto.GmqBrokerGrpc;
import io.gmq.proto.Heartbeat;
import io.gmq.wire.ChannelSecurity;
import io.gmq.wire.GrpcErrors;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code gmq ping} and {@code gmq health}: one call to one process, on a channel of their own (no
 * client session, no reconnects), each answering in one line.
 */
final class ProbeCommands {
    private ProbeCommands() {}

    /** The one address a probe talks to, its timeout and the client's TLS and token options. */
    static final class Target {
        @Spec(Spec.Target.MIXEE)
        CommandSpec mixee;

        @Option(
                names = "--server",
                defaultValue = "localhost:50051",
                paramLabel = "HOST:PORT",
                description = "The process to ask (default ${DEFAULT-VALUE}).")
        String server;

        @Option(
                names = "--timeout-ms",
                defaultValue = "5000",
                paramLabel = "MILLIS",
                description = "Give up after this long (default ${DEFAULT-VALUE}).")
        long timeoutMillis;

        @Mixin
        ClientSecurityOptions security;

        ManagedChannel open() {
            if (server.contains(",") || server.startsWith("embedded:") || server.lastIndexOf(':') <= 0) {
                throw new ParameterException(
                        mixee.commandLine(), "--server must be one HOST:PORT, was '" + server + "'");
            }
            if (timeoutMillis <= 0) {
                throw new ParameterException(
                        mixee.commandLine(), "--timeout-ms must be positive, was " + timeoutMillis);
            }
            ChannelSecurity s = security.channelSecurity();
            return NettyChannelBuilder.forTarget(server, s.credentials())
                    .intercept(s.tokenInterceptor())
                    .build();
        }

        static void close(ManagedChannel channel) {
            channel.shutdownNow();
            try {
                channel.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        /** A failed call as the one-line GMQ error the CLI prints (exit 1). */
        GmqException failure(StatusRuntimeException e) {
            GmqException g = GrpcErrors.toGmq(e);
            if (g.code() == ErrorCode.UNAVAILABLE) {
                return new GmqException(ErrorCode.UNAVAILABLE, "cannot reach " + server + ": " + g.getMessage(), e);
            }
            if (g.code() == ErrorCode.DEADLINE_EXCEEDED) {
                return new GmqException(
                        ErrorCode.DEADLINE_EXCEEDED, server + " did not answer within " + timeoutMillis + " ms", e);
            }
            return g;
        }
    }

    @Command(
            name = "ping",
            mixinStandardHelpOptions = true,
            description = "Round trip of one call to a broker (with the token, if any): reachability and latency.")
    static final class Ping implements Callable<Integer> {
        @Mixin
        Target target;

        @Mixin
        OutputOption output;

        @Option(
                names = "--count",
                defaultValue = "1",
                paramLabel = "N",
                description = "Pings to send (default ${DEFAULT-VALUE}).")
        int count;

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (count < 1) {
                throw new ParameterException(spec.commandLine(), "--count must be at least 1, was " + count);
            }
            ManagedChannel channel = target.open();
            try {
                for (int i = 0; i < count; i++) {
                    long started = System.nanoTime();
                    try {
                        GmqBrokerGrpc.newBlockingStub(channel)
                                .withDeadlineAfter(target.timeoutMillis, TimeUnit.MILLISECONDS)
                                .ping(Heartbeat.newBuilder()
                                        .setTimestampMillis(System.currentTimeMillis())
                                        .build());
                    } catch (StatusRuntimeException e) {
                        throw target.failure(e);
                    }
                    long micros = TimeUnit.NANOSECONDS.toMicros(System.nanoTime() - started);
                    if (output.json()) {
                        OutputOption.print(new JsonWriter()
                                .beginObject()
                                .name("server")
                                .value(target.server)
                                .name("roundTripMicros")
                                .value(micros)
                                .endObject());
                    } else {
                        System.out.printf("reply from %s: time=%.3f ms%n", target.server, micros / 1000.0);
                    }
                }
            } finally {
                Target.close(channel);
            }
            return 0;
        }
    }

    @Command(
            name = "health",
            mixinStandardHelpOptions = true,
            description = "Asks a server, broker or storage process for its gRPC health (no token needed): exit 0"
                    + " and 'SERVING' when healthy, exit 1 and one line otherwise. A container health check.")
    static final class Health implements Callable<Integer> {
        @Mixin
        Target target;

        @Mixin
        OutputOption output;

        @Option(
                names = "--service",
                defaultValue = "",
                paramLabel = "NAME",
                description = "One service (gmq.v1.GmqBroker, gmq.v1.GmqStorage) instead of the whole process.")
        String service;

        @Override
        public Integer call() {
            ManagedChannel channel = target.open();
            HealthCheckResponse.ServingStatus status;
            try {
                status = HealthGrpc.newBlockingStub(channel)
                        .withDeadlineAfter(target.timeoutMillis, TimeUnit.MILLISECONDS)
                        .check(HealthCheckRequest.newBuilder()
                                .setService(service)
                                .build())
                        .getStatus();
            } catch (StatusRuntimeException e) {
                throw target.failure(e);
            } finally {
                Target.close(channel);
            }
            if (output.json()) {
                OutputOption.print(new JsonWriter()
                        .beginObject()
                        .name("server")
                        .value(target.server)
                        .name("service")
                        .value(service)
                        .name("status")
                        .value(status.name())
                        .endObject());
            } else {
                System.out.println(status.name());
            }
            return status == HealthCheckResponse.ServingStatus.SERVING ? 0 : 1;
        }
    }
}
