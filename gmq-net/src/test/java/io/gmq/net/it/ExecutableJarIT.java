package io.gmq.net.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shaded gmq.jar as operators run it: its logging backend inside, JSON log lines with gRPC's
 * java.util.logging records among them.
 */
final class ExecutableJarIT {
    @TempDir
    Path dir;

    private static Path jar() {
        return Path.of(System.getProperty("gmq.jar", "target/gmq.jar"));
    }

    @Test
    void theJarCarriesTheLoggingBackendAndTheJulBridge() throws IOException {
        try (JarFile jar = new JarFile(jar().toFile())) {
            assertTrue(jar.getEntry("ch/qos/logback/classic/Logger.class") != null, "logback in gmq.jar");
            assertTrue(jar.getEntry("org/slf4j/bridge/SLF4JBridgeHandler.class") != null, "jul-to-slf4j in gmq.jar");
            assertTrue(jar.getEntry("org/slf4j/simple/SimpleLogger.class") == null, "no second SLF4J backend");
            String providers = new String(
                    jar.getInputStream(jar.getEntry("META-INF/services/org.slf4j.spi.SLF4JServiceProvider"))
                            .readAllBytes(),
                    StandardCharsets.UTF_8);
            assertEquals("ch.qos.logback.classic.spi.LogbackServiceProvider", providers.trim());
        }
    }

    @Test
    void serverLogsJsonLinesWithGrpcJulRecordsThroughTheSameBackend() throws Exception {
        Path logs = Files.createDirectories(dir.resolve("logs"));
        Path err;
        try (GmqProcess server = GmqProcess.start(
                "server",
                logs,
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--data-dir",
                dir.resolve("data").toString(),
                "--log-format",
                "json",
                // gRPC's server builder reports at FINE (DEBUG) through java.util.logging as it starts.
                "--log-level",
                "info,io.grpc.internal=debug")) {
            err = server.stderr;
            assertTrue(server.process.isAlive());
        }
        List<String> lines = Files.readAllLines(err, StandardCharsets.UTF_8);
        assertTrue(!lines.isEmpty(), "the server logged");
        boolean gmqListening = false;
        boolean grpcJul = false;
        for (String line : lines) {
            JsonObject o = JsonParser.parseString(line).getAsJsonObject(); // every line is one JSON object
            assertTrue(o.keySet().containsAll(Set.of("timestamp", "level", "logger", "thread", "message")), line);
            String logger = o.get("logger").getAsString();
            gmqListening |= logger.equals("io.gmq.net.server.GmqServer")
                    && o.get("level").getAsString().equals("INFO")
                    && o.get("message").getAsString().contains("listening on 127.0.0.1:");
            grpcJul |= logger.startsWith("io.grpc.internal.")
                    && o.get("level").getAsString().equals("DEBUG");
            assertTrue(
                    !logger.startsWith("io.grpc.netty")
                            || !o.get("level").getAsString().equals("DEBUG"),
                    line);
        }
        assertTrue(gmqListening, "GMQ's own INFO line is there: " + lines);
        assertTrue(grpcJul, "gRPC's java.util.logging records come through the same backend: " + lines);
    }

    @Test
    void clientCommandsLogNothingByDefault() throws Exception {
        Process p = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-jar",
                        jar().toString(),
                        "topics",
                        "list",
                        "--server",
                        "embedded:" + dir.resolve("embedded")))
                .redirectErrorStream(true)
                .start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);
        assertEquals("", output, "an empty list and no log lines");
    }
}
