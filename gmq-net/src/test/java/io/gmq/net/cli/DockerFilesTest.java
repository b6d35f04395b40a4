package io.gmq.net.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;

/**
 * The Dockerfile and compose files, checked without a Docker engine (none runs where GMQ is
 * built): every gmq.jar command line in them parses with the real command model, health checks
 * are the jar's own {@code health} on the port the container serves, nothing is downloaded into
 * the image, the data directory is a volume, the heap follows the container's memory limit, and
 * no storage port is published to the host.
 */
final class DockerFilesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    /** A YAML flow sequence of double-quoted strings (valid JSON), possibly over several lines. */
    private static final Pattern ARGS = Pattern.compile("(command|test|CMD|ENTRYPOINT):?\\s*(\\[[^\\]]*\\])");

    private static String read(String file) throws IOException {
        return Files.readString(ROOT.resolve(file));
    }

    /** Every argument list of {@code file}, by the key that introduces it. */
    private static List<List<String>> argLists(String text, String key) {
        List<List<String>> out = new ArrayList<>();
        Matcher m = ARGS.matcher(text.replace("\\\n", " "));
        while (m.find()) {
            if (m.group(1).equals(key)) {
                List<String> args = new ArrayList<>();
                JsonParser.parseString(m.group(2)).getAsJsonArray().forEach(e -> args.add(e.getAsString()));
                out.add(args);
            }
        }
        return out;
    }

    /** Parses {@code args} as gmq.jar would, without running anything; returns the command's name. */
    private static String parses(List<String> args) {
        CommandLine cl = new CommandLine(new GmqCli());
        cl.setCaseInsensitiveEnumValuesAllowed(true);
        List<CommandLine> parsed = cl.parseArgs(args.toArray(String[]::new)).asCommandLineList();
        return parsed.get(parsed.size() - 1).getCommandName();
    }

    /** The gmq.jar arguments of a {@code java ... -jar /opt/gmq/gmq.jar ARGS} command. */
    private static List<String> jarArgs(List<String> command) {
        int jar = command.indexOf("/opt/gmq/gmq.jar");
        assertTrue(jar > 0 && command.get(jar - 1).equals("-jar"), "runs gmq.jar: " + command);
        assertTrue(command.contains("java"), command.toString());
        return command.subList(jar + 1, command.size());
    }

    @Test
    void dockerfileDownloadsNothingChecksItselfAndKeepsDataInAVolume() throws IOException {
        String dockerfile = read("Dockerfile");
        assertFalse(dockerfile.matches("(?s).*\\bADD\\s+https?://.*"), "no downloaded binary");
        assertFalse(dockerfile.matches("(?s).*\\b(curl|wget)\\b.*"), "no downloaded binary");
        assertTrue(dockerfile.contains("VOLUME [\"/var/lib/gmq/data\"]"));

        List<List<String>> checks = argLists(dockerfile, "CMD");
        List<String> health = checks.get(0);
        assertEquals("health", parses(jarArgs(health)));
        assertTrue(dockerfile.contains("HEALTHCHECK"), "a health check");

        List<String> entrypoint = argLists(dockerfile, "ENTRYPOINT").get(0);
        assertTrue(entrypoint.stream().anyMatch(a -> a.startsWith("-XX:MaxRAMPercentage=")), entrypoint.toString());
        assertFalse(entrypoint.stream().anyMatch(a -> a.startsWith("-Xmx")), "no fixed heap: " + entrypoint);
        List<String> cmd = checks.get(1);
        assertEquals("server", parses(cmd));
        assertTrue(String.join(" ", cmd).contains("--data-dir /var/lib/gmq/data"), "data in the volume");
    }

    @ParameterizedTest
    @ValueSource(strings = {"docker-compose.yml", "docker-compose.cluster.yml"})
    void composeCommandsParseAndHealthChecksAskTheServedPort(String file) throws IOException {
        String compose = read(file);
        List<List<String>> commands = argLists(compose, "command");
        assertFalse(commands.isEmpty());
        for (List<String> c : commands) {
            String name = parses(c);
            assertTrue(List.of("storage", "broker", "describe").contains(name), name + ": " + c);
        }
        List<List<String>> tests = argLists(compose, "test");
        assertFalse(tests.isEmpty());
        for (List<String> t : tests) {
            assertEquals("CMD", t.get(0));
            List<String> args = jarArgs(t.subList(1, t.size()));
            assertEquals("health", parses(args), t.toString());
            String port = args.get(args.indexOf("--server") + 1).replace("localhost:", "");
            assertTrue(
                    commands.stream()
                            .anyMatch(c -> c.contains("--port")
                                    && c.get(c.indexOf("--port") + 1).equals(port)),
                    "a service listens on the checked port " + port);
        }
        assertFalse(compose.contains("grpc_health_probe"), "the jar checks itself");
        assertFalse(compose.matches("(?s).*\"\\d+(-\\d+)?:50052\".*"), "the storage port is never published");
        assertFalse(compose.matches("(?s).*\"\\d+(-\\d+)?:7000\".*"), "nor the Raft port");
    }
}
