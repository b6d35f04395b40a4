package io.gmq.net.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.gmq.net.testing.ConsoleCapture;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;

/**
 * gmq.jar's logging: SLF4J and java.util.logging (gRPC's) records through one backend, as text or
 * as one JSON object per line on standard error, at the levels of --log-level.
 */
final class LoggingTest {
    @RegisterExtension
    final ConsoleCapture console = new ConsoleCapture();

    @AfterAll
    static void restoreTestLogging() {
        Logging.configure(Logging.Levels.parse("info"), Level.INFO, Logging.Format.TEXT);
    }

    private static List<JsonObject> jsonLines(String text) {
        return text.lines()
                .map(l -> JsonParser.parseString(l).getAsJsonObject())
                .toList();
    }

    @Test
    void jsonFormatWritesOneObjectPerLineForSlf4jAndJulRecords() {
        Logging.configure(Logging.Levels.parse("info"), Level.INFO, Logging.Format.JSON);
        LoggerFactory.getLogger("io.gmq.test").info("hello {}", "\"world\"\nline two");
        java.util.logging.Logger.getLogger("io.grpc.test").warning("from JUL");
        LoggerFactory.getLogger("io.gmq.test").error("failed", new IOException("disk gone"));

        List<JsonObject> lines = jsonLines(console.err());
        assertEquals(3, lines.size(), console.err());
        JsonObject first = lines.get(0);
        assertEquals(Set.of("timestamp", "level", "logger", "thread", "message"), first.keySet());
        assertTrue(first.get("timestamp").getAsString().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
        assertEquals("INFO", first.get("level").getAsString());
        assertEquals("io.gmq.test", first.get("logger").getAsString());
        assertEquals(Thread.currentThread().getName(), first.get("thread").getAsString());
        assertEquals("hello \"world\"\nline two", first.get("message").getAsString());

        JsonObject jul = lines.get(1);
        assertEquals("WARN", jul.get("level").getAsString());
        assertEquals("io.grpc.test", jul.get("logger").getAsString());
        assertEquals("from JUL", jul.get("message").getAsString());

        JsonObject failed = lines.get(2);
        assertEquals("ERROR", failed.get("level").getAsString());
        assertTrue(
                failed.get("exception").getAsString().startsWith("java.io.IOException: disk gone"), failed.toString());
        assertTrue(console.out().isEmpty(), "logs stay off standard output");
    }

    @Test
    void levelsApplyToSlf4jAndJulLoggersAlike() {
        Logging.configure(Logging.Levels.parse("warn,io.grpc.chatty=debug"), Level.INFO, Logging.Format.JSON);
        LoggerFactory.getLogger("io.gmq.quiet").info("dropped");
        java.util.logging.Logger.getLogger("io.grpc.quiet").info("dropped too");
        java.util.logging.Logger.getLogger("io.grpc.chatty.Child").fine("kept: FINE is DEBUG");
        LoggerFactory.getLogger("io.gmq.quiet").warn("kept");

        List<JsonObject> lines = jsonLines(console.err());
        assertEquals(
                List.of("kept: FINE is DEBUG", "kept"),
                lines.stream().map(l -> l.get("message").getAsString()).toList(),
                console.err());
        assertEquals("DEBUG", lines.get(0).get("level").getAsString());
    }

    @Test
    void textFormatIsOneLinePerRecordWithLevelAndLogger() {
        Logging.configure(new Logging.Levels(null, Map.of()), Level.INFO, Logging.Format.TEXT);
        java.util.logging.Logger.getLogger("io.grpc.text").info("via JUL");
        List<String> lines = console.err().lines().toList();
        assertEquals(1, lines.size(), console.err());
        assertTrue(lines.get(0).matches("\\S+ INFO  \\[.+] io.grpc.text - via JUL"), lines.get(0));
        assertFalse(lines.get(0).startsWith("{"));
    }

    @Test
    void badLevelsAreRefusedWithTheRule() {
        assertEquals("unknown log level 'loud': trace, debug, info, warn, error or off", assertBad("loud"));
        assertEquals("'=debug' names no logger (LOGGER=LEVEL)", assertBad("info,=debug"));
        assertEquals("give one level for everything, then LOGGER=LEVEL pairs: 'info,warn'", assertBad("info,warn"));
        assertEquals(
                Level.DEBUG,
                Logging.Levels.parse("info, io.grpc = DEBUG").loggers().get("io.grpc"));
    }

    private static String assertBad(String spec) {
        try {
            Logging.Levels.parse(spec);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        throw new AssertionError("accepted " + spec);
    }
}
