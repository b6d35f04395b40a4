package io.gmq.net.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.gmq.ClusterDescription;
import io.gmq.FlushPolicy;
import io.gmq.GmqConfig;
import io.gmq.net.server.GmqServer;
import io.gmq.net.testing.ConsoleCapture;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tools of gmq.jar beyond the basics: --output json, produce with headers, keys per line and
 * timestamps, consume of one partition from an offset without a group, groups reset's plan and
 * groups delete, ping, health and completion. In-process against one server on 127.0.0.1.
 */
final class CliToolsTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @TempDir
    static Path dir;

    private static GmqServer server;
    private static String addr;

    @BeforeAll
    static void startServer() {
        server = GmqServer.standalone(
                GmqConfig.builder().dataDir(dir).flushPolicy(FlushPolicy.OS).build(), "127.0.0.1", 0);
        addr = "127.0.0.1:" + server.port();
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    private int run(String... args) {
        console.reset();
        return GmqCli.run(args);
    }

    private int produce(String input, String... args) {
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        String[] all = new String[args.length + 2];
        System.arraycopy(args, 0, all, 0, args.length);
        all[args.length] = "--server";
        all[args.length + 1] = addr;
        return run(concat("produce", all));
    }

    private static String[] concat(String first, String... rest) {
        String[] all = new String[rest.length + 1];
        all[0] = first;
        System.arraycopy(rest, 0, all, 1, rest.length);
        return all;
    }

    /** The single line of standard output, parsed. */
    private JsonObject json() {
        List<String> lines = console.out().lines().toList();
        assertEquals(1, lines.size(), "one JSON line: " + console.out());
        return JsonParser.parseString(lines.get(0)).getAsJsonObject();
    }

    private void assertUsageError(String expected, String... args) {
        assertEquals(2, run(args), console.err());
        assertTrue(console.err().contains(expected), console.err());
    }

    @Test
    void topicCommandsPrintJson() {
        assertEquals(
                0, run("topics", "create", "--topic", "js", "--partitions", "2", "--server", addr, "--output", "json"));
        assertEquals("js", json().get("topic").getAsString());
        assertEquals(2, json().get("partitions").getAsInt());

        assertEquals(0, produce("a\nb\n", "--topic", "js", "--partition", "1"));
        assertEquals(0, run("topics", "list", "--server", addr, "--output", "json"));
        JsonArray topics = json().getAsJsonArray("topics");
        assertTrue(
                topics.contains(JsonParser.parseString("{\"topic\":\"js\",\"partitions\":2,\"settings\":{}}")),
                topics.toString());

        assertEquals(0, run("topics", "describe", "--topic", "js", "--server", addr, "--output", "json"));
        JsonObject d = json();
        assertEquals(2, d.get("partitionCount").getAsInt());
        JsonObject p1 = d.getAsJsonArray("partitions").get(1).getAsJsonObject();
        assertEquals(1, p1.get("partition").getAsInt());
        assertEquals(0, p1.get("startOffset").getAsLong());
        assertEquals(2, p1.get("highWatermark").getAsLong());
        assertTrue(p1.get("bytes").getAsLong() > 0);

        assertEquals(0, run("topics", "delete", "--topic", "js", "--server", addr, "--output", "json"));
        assertTrue(json().get("deleted").getAsBoolean());
        assertUsageError("--output", "topics", "list", "--server", addr, "--output", "yaml");
    }

    @Test
    void headersKeysPerLineAndTimestampsReachAGrouplessReadOfOnePartition() {
        assertEquals(0, run("groups", "list", "--server", addr, "--output", "json"));
        JsonArray groupsBefore = json().getAsJsonArray("groups");
        assertEquals(0, run("topics", "create", "--topic", "hdr", "--partitions", "1", "--server", addr));
        assertEquals(
                0,
                produce(
                        "k1:v1\nk2:v:2\n",
                        "--topic",
                        "hdr",
                        "--key-separator",
                        ":",
                        "--header",
                        "trace=abc",
                        "--header",
                        "empty=",
                        "--timestamp",
                        "1700000000123"));

        assertEquals(
                0,
                run(
                        "consume",
                        "--topic",
                        "hdr",
                        "--partition",
                        "0",
                        "--offset",
                        "1",
                        "--max-messages",
                        "1",
                        "--timeout-ms",
                        "20000",
                        "--print-offset",
                        "--print-timestamp",
                        "--print-key",
                        "--print-headers",
                        "--server",
                        addr));
        assertEquals(
                List.of("0:1\t1700000000123\tk2\ttrace=abc,empty=\tv:2"),
                console.out().lines().toList());

        assertEquals(
                0,
                run(
                        "consume",
                        "--topic",
                        "hdr",
                        "--partition",
                        "0",
                        "--offset",
                        "earliest",
                        "--max-messages",
                        "2",
                        "--timeout-ms",
                        "20000",
                        "--format",
                        "hex",
                        "--print-key",
                        "--server",
                        addr));
        assertEquals(
                List.of(hex("k1") + "\t" + hex("v1"), hex("k2") + "\t" + hex("v:2")),
                console.out().lines().toList());

        assertEquals(
                0,
                run(
                        "consume",
                        "--topic",
                        "hdr",
                        "--partition",
                        "0",
                        "--offset",
                        "latest",
                        "--timeout-ms",
                        "200",
                        "--format",
                        "base64",
                        "--server",
                        addr));
        assertEquals("", console.out(), "nothing after the end within the timeout");

        assertEquals(0, run("groups", "list", "--server", addr, "--output", "json"));
        assertEquals(groupsBefore, json().getAsJsonArray("groups"), "reading a partition joined no group");

        System.setIn(new ByteArrayInputStream("\u0000\u00ff".getBytes(StandardCharsets.ISO_8859_1)));
        assertEquals(0, run("produce", "--topic", "hdr", "--server", addr));
        assertEquals(
                0,
                run(
                        "consume",
                        "--topic",
                        "hdr",
                        "--partition",
                        "0",
                        "--offset",
                        "2",
                        "--max-messages",
                        "1",
                        "--timeout-ms",
                        "20000",
                        "--format",
                        "base64",
                        "--server",
                        addr));
        byte[] decoded = Base64.getDecoder().decode(console.out().trim());
        assertEquals(
                new String("\u0000\u00ff".getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8),
                new String(decoded, StandardCharsets.UTF_8),
                "base64 carries the stored bytes unchanged");
    }

    private static String hex(String s) {
        return HexFormat.of().formatHex(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void produceAndConsumeRefuseContradictoryFlagsAsUsageErrors() {
        assertUsageError("NAME=VALUE", "produce", "--topic", "t", "--header", "novalue", "--server", addr);
        assertUsageError("--key or --key-separator", "produce", "--topic", "t", "--key", "k", "--key-separator", ":");
        assertUsageError("--timestamp must not be negative", "produce", "--topic", "t", "--timestamp", "-1");
        assertUsageError("--offset needs --partition", "consume", "--topic", "t", "--offset", "3");
        assertUsageError("drop --group", "consume", "--topic", "t", "--partition", "0", "--group", "g");
        assertUsageError("--offset must be", "consume", "--topic", "t", "--partition", "0", "--offset", "-3");
        assertUsageError("--format", "consume", "--topic", "t", "--format", "octal");
        assertUsageError("unknown log level 'loud'", "topics", "list", "--log-level", "loud");

        assertEquals(1, produce("no separator here\n", "--topic", "sep", "--key-separator", "|"));
        assertEquals("error: line 1 has no key separator '|'", console.err().trim());
    }

    @Test
    void groupsResetShowsItsPlanAndChangesNothingWithoutExecute() {
        assertEquals(0, run("topics", "create", "--topic", "rs", "--partitions", "2", "--server", addr));
        assertEquals(0, produce("a\nb\nc\n", "--topic", "rs", "--partition", "0"));
        assertEquals(
                0,
                run(
                        "consume",
                        "--topic",
                        "rs",
                        "--group",
                        "planned",
                        "--max-messages",
                        "3",
                        "--timeout-ms",
                        "20000",
                        "--server",
                        addr));

        assertEquals(
                0,
                run(
                        "groups",
                        "reset",
                        "--group",
                        "planned",
                        "--topic",
                        "rs",
                        "--to-offset",
                        "1",
                        "--dry-run",
                        "--server",
                        addr));
        List<String> lines = console.out().lines().toList();
        assertTrue(lines.get(0).startsWith("GROUP"), console.out());
        assertTrue(lines.get(1).matches("planned\\s+rs\\s+0\\s+3\\s+1"), lines.get(1));
        assertTrue(lines.get(2).matches("planned\\s+rs\\s+1\\s+0\\s+0"), lines.get(2));
        assertEquals("dry run: nothing changed; add --execute to apply", lines.get(3));
        assertEquals(3, committed("planned", 0), "a dry run changes nothing");

        assertEquals(
                0,
                run(
                        "groups",
                        "reset",
                        "--group",
                        "planned",
                        "--topic",
                        "rs",
                        "--partition",
                        "0",
                        "--to-offset",
                        "1",
                        "--execute",
                        "--server",
                        addr,
                        "--output",
                        "json"));
        JsonObject plan = json();
        assertTrue(plan.get("executed").getAsBoolean());
        assertEquals("offset", plan.getAsJsonObject("to").get("kind").getAsString());
        JsonObject step = plan.getAsJsonArray("partitions").get(0).getAsJsonObject();
        assertEquals(3, step.get("currentOffset").getAsLong());
        assertEquals(1, step.get("newOffset").getAsLong());
        assertEquals(1, plan.getAsJsonArray("partitions").size());
        assertEquals(1, committed("planned", 0), "--execute applied it");

        // Without --execute: the plan only, nothing changes (Kafka's convention).
        assertEquals(0, run("groups", "reset", "--group", "planned", "--topic", "rs", "--to-latest", "--server", addr));
        assertTrue(console.out().contains("dry run: nothing changed; add --execute to apply"), console.out());
        assertEquals(1, committed("planned", 0), "without --execute nothing is applied");

        assertUsageError(
                "not both",
                "groups",
                "reset",
                "--group",
                "planned",
                "--topic",
                "rs",
                "--to-latest",
                "--dry-run",
                "--execute");
    }

    @Test
    void produceWithADelayIsScheduledAndGroupsDescribeCountsIt() {
        assertEquals(0, run("topics", "create", "--topic", "dl", "--partitions", "1", "--server", addr));
        assertEquals(0, produce("first\n", "--topic", "dl"));
        assertEquals(
                0,
                run(
                        "consume",
                        "--topic",
                        "dl",
                        "--group",
                        "dg",
                        "--max-messages",
                        "1",
                        "--timeout-ms",
                        "20000",
                        "--server",
                        addr));
        assertEquals(0, produce("later\n", "--topic", "dl", "--delay", "1h", "--verbose"), console.err());
        assertEquals(List.of("partition 0 scheduled"), console.out().lines().toList());
        String at = java.time.Instant.now().plus(java.time.Duration.ofHours(2)).toString();
        assertEquals(0, produce("later too\n", "--topic", "dl", "--deliver-at", at), console.err());

        assertEquals(0, run("groups", "describe", "--group", "dg", "--server", addr, "--output", "json"));
        JsonObject p = json().getAsJsonArray("partitions").get(0).getAsJsonObject();
        assertEquals(2, p.get("scheduled").getAsLong());
        assertEquals(0, p.get("lag").getAsLong());
        assertEquals(1, p.get("highWatermark").getAsLong());
        assertEquals(0, run("groups", "describe", "--group", "dg", "--server", addr));
        List<String> lines = console.out().lines().toList();
        assertTrue(lines.stream().anyMatch(l -> l.endsWith("LAG        SCHEDULED")), console.out());
        assertTrue(lines.stream().anyMatch(l -> l.startsWith("dl-0") && l.endsWith(" 0          2")), console.out());
    }

    @Test
    void produceRefusesABadDelayOrBothScheduleFlags() {
        assertUsageError("--delay must be a duration", "produce", "--topic", "t", "--delay", "soon", "--server", addr);
        assertUsageError(
                "--deliver-at must be an ISO-8601 instant",
                "produce",
                "--topic",
                "t",
                "--deliver-at",
                "tomorrow",
                "--server",
                addr);
        assertUsageError(
                "give --delay or --deliver-at, not both",
                "produce",
                "--topic",
                "t",
                "--delay",
                "1m",
                "--deliver-at",
                "2030-01-01T00:00:00Z",
                "--server",
                addr);
    }

    private long committed(String group, int partition) {
        console.reset();
        assertEquals(0, GmqCli.run("groups", "describe", "--group", group, "--server", addr, "--output", "json"));
        for (var p : json().getAsJsonArray("partitions")) {
            JsonObject o = p.getAsJsonObject();
            if (o.get("partition").getAsInt() == partition) {
                return o.get("committedOffset").isJsonNull()
                        ? -1
                        : o.get("committedOffset").getAsLong();
            }
        }
        return -1;
    }

    @Test
    void groupsDescribeAndDeleteInJsonAndText() {
        assertEquals(0, run("topics", "create", "--topic", "gd", "--partitions", "1", "--server", addr));
        assertEquals(0, produce("x\n", "--topic", "gd"));
        assertEquals(
                0,
                run(
                        "consume",
                        "--topic",
                        "gd",
                        "--group",
                        "doomed",
                        "--max-messages",
                        "1",
                        "--timeout-ms",
                        "20000",
                        "--server",
                        addr));
        assertEquals(0, run("groups", "describe", "--group", "doomed", "--server", addr, "--output", "json"));
        JsonObject d = json();
        assertEquals("doomed", d.get("group").getAsString());
        assertEquals(0, d.getAsJsonArray("members").size());
        JsonObject p = d.getAsJsonArray("partitions").get(0).getAsJsonObject();
        assertEquals("gd", p.get("topic").getAsString());
        assertTrue(p.get("owner").isJsonNull());
        assertEquals(1, p.get("committedOffset").getAsLong());
        assertEquals(0, p.get("lag").getAsLong());

        assertEquals(0, run("groups", "delete", "--group", "doomed", "--server", addr));
        assertEquals(List.of("deleted group doomed"), console.out().lines().toList());
        assertEquals(0, run("groups", "list", "--server", addr));
        assertFalse(console.out().lines().toList().contains("doomed"));
        assertEquals(1, run("groups", "delete", "--group", "doomed", "--server", addr, "--output", "json"));
        assertEquals(
                "error: group doomed has no members and no committed offsets",
                console.err().trim());
        assertEquals("", console.out());
    }

    @Test
    void clusterDescriptionJsonUsesNullForWhatIsNotKnown() {
        ClusterDescription d = new ClusterDescription(List.of(new ClusterDescription.StorageGroup(
                "metadata",
                "",
                -1,
                -1,
                List.of(
                        new ClusterDescription.Node("1", "h1:7000", "h1:50052", true, 12, 0),
                        new ClusterDescription.Node("2", "h2:7000", "", false, -1, -1)))));
        JsonObject o =
                JsonParser.parseString(CliJson.clusterDescription(d).toString()).getAsJsonObject();
        JsonObject g = o.getAsJsonArray("groups").get(0).getAsJsonObject();
        assertEquals("metadata", g.get("name").getAsString());
        assertTrue(g.get("leader").isJsonNull());
        assertTrue(g.get("term").isJsonNull());
        JsonObject n1 = g.getAsJsonArray("members").get(0).getAsJsonObject();
        assertEquals("up", n1.get("state").getAsString());
        assertEquals(12, n1.get("commitIndex").getAsLong());
        JsonObject n2 = g.getAsJsonArray("members").get(1).getAsJsonObject();
        assertEquals("unknown", n2.get("state").getAsString());
        assertTrue(n2.get("storageAddress").isJsonNull());
        assertTrue(n2.get("lag").isJsonNull());

        assertEquals(1, run("cluster", "describe", "--server", addr, "--output", "json"));
        assertTrue(console.err().startsWith("error: storage is not replicated"), console.err());
    }

    @Test
    void pingAndHealthAnswerInOneLine() {
        assertEquals(0, run("ping", "--server", addr, "--count", "2"));
        List<String> lines = console.out().lines().toList();
        assertEquals(2, lines.size(), console.out());
        assertTrue(lines.get(0).matches("reply from 127\\.0\\.0\\.1:\\d+: time=\\d+\\.\\d{3} ms"), lines.get(0));

        assertEquals(0, run("health", "--server", addr));
        assertEquals("SERVING", console.out().trim());
        assertEquals(0, run("health", "--server", addr, "--service", "gmq.v1.GmqBroker", "--output", "json"));
        assertEquals("SERVING", json().get("status").getAsString());
        assertEquals(1, run("health", "--server", addr, "--service", "no.such.Service"));
        assertEquals(1, console.err().lines().count(), console.err());

        assertUsageError("one HOST:PORT", "health", "--server", "embedded:" + dir);
        assertUsageError("--count must be at least 1", "ping", "--server", addr, "--count", "0");
    }

    @Test
    void healthOfAStoppedProcessIsExit1AndOneLine() {
        GmqServer stopped = GmqServer.standalone(
                GmqConfig.builder().dataDir(dir.resolve("stopped")).build(), "127.0.0.1", 0);
        int port = stopped.port();
        stopped.close();
        assertEquals(1, run("health", "--server", "127.0.0.1:" + port, "--timeout-ms", "2000"));
        List<String> err = console.err().lines().toList();
        assertEquals(1, err.size(), console.err());
        assertTrue(err.get(0).startsWith("error: cannot reach 127.0.0.1:" + port), err.get(0));
        assertEquals(1, run("ping", "--server", "127.0.0.1:" + port, "--timeout-ms", "2000"));
        assertTrue(console.err().startsWith("error: cannot reach 127.0.0.1:" + port), console.err());
    }

    @Test
    void completionScriptsCoverTheCommands() {
        assertEquals(0, run("completion", "bash"));
        String bash = console.out();
        assertTrue(bash.contains("complete -F _complete_gmq"), bash.substring(0, 200));
        for (String command : List.of("groups", "consume", "health", "--print-headers", "--log-format")) {
            assertTrue(bash.contains(command), command);
        }
        assertEquals(0, run("completion", "zsh"));
        assertTrue(console.out().startsWith("autoload -U +X compinit && compinit\n"));
        assertTrue(console.out().contains("bashcompinit"));
        assertUsageError("fish", "completion", "fish");
    }
}
