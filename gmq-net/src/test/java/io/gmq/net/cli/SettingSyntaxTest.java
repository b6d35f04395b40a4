package io.gmq.net.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.FlushPolicy;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine.TypeConversionException;

/** Durations and sizes as the process commands read them, on the command line and in a config file. */
final class SettingSyntaxTest {
    @ParameterizedTest
    @CsvSource({
        "500ms, PT0.5S",
        "30s, PT30S",
        "5m, PT5M",
        "2h, PT2H",
        "7d, PT168H",
        "0, PT0S",
        "PT30S, PT30S",
        "P7D, PT168H",
        "pt1m, PT1M",
    })
    void durationsTakeAUnitOrIso8601(String text, String iso) {
        assertEquals(Duration.parse(iso), SettingSyntax.parseDuration(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"30", "30 s", "1.5s", "30sec", "s", "", "-5s", "P", "9999999999999999999d"})
    void aDurationWithoutAUnitOrWithAnUnknownOneIsRefused(String text) {
        TypeConversionException e =
                assertThrows(TypeConversionException.class, () -> SettingSyntax.parseDuration(text));
        assertTrue(e.getMessage().contains("'" + text + "'"), e.getMessage());
    }

    @ParameterizedTest
    @CsvSource({"PT0.5S, 500ms", "PT30S, 30s", "PT5M, 5m", "PT168H, 7d", "PT0S, 0s", "PT1.0005S, PT1.0005S"})
    void aDurationIsShownInTheShortestFormThatReadsBack(String iso, String shown) {
        assertEquals(shown, SettingSyntax.formatDuration(Duration.parse(iso)));
        assertEquals(Duration.parse(iso), SettingSyntax.parseDuration(shown));
    }

    @ParameterizedTest
    @CsvSource({
        "4096, 4096",
        "-1, -1",
        "64KiB, 65536",
        "16MiB, 16777216",
        "1GiB, 1073741824",
        "2TiB, 2199023255552",
        "64kib, 65536",
        "' 1MiB ', 1048576",
    })
    void sizesArePlainBytesOrPowersOf1024(String text, long bytes) {
        assertEquals(bytes, SettingSyntax.parseBytes(text));
    }

    @ParameterizedTest
    @ValueSource(strings = {"64KB", "16MB", "1GB", "1G", "64k"})
    void decimalLookingSizesAreRefusedAsAmbiguous(String text) {
        TypeConversionException e = assertThrows(TypeConversionException.class, () -> SettingSyntax.parseBytes(text));
        assertTrue(e.getMessage().contains("ambiguous"), e.getMessage());
        assertTrue(e.getMessage().contains("KiB"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"lots", "1.5MiB", "MiB", "", "99999999999TiB"})
    void otherSizesAreRefused(String text) {
        assertThrows(TypeConversionException.class, () -> SettingSyntax.parseBytes(text));
    }

    @org.junit.jupiter.api.Test
    void anIntSizeRefusesMoreThan2GiB() {
        assertEquals(Integer.MAX_VALUE, new SettingSyntax.IntBytes().convert("2147483647"));
        TypeConversionException e =
                assertThrows(TypeConversionException.class, () -> new SettingSyntax.IntBytes().convert("2GiB"));
        assertTrue(e.getMessage().contains("2147483647"), e.getMessage());
    }

    @org.junit.jupiter.api.Test
    void retentionAgeForeverIsNoAgeLimit() {
        assertNull(new SettingSyntax.RetentionAge().convert("forever"));
        assertEquals(Duration.ofDays(3), new SettingSyntax.RetentionAge().convert("3d"));
    }

    @org.junit.jupiter.api.Test
    void flushKeepsItsOwnSyntax() {
        assertEquals(FlushPolicy.SYNC, new SettingSyntax.Flush().convert("sync"));
        assertEquals(FlushPolicy.OS, new SettingSyntax.Flush().convert("os"));
        assertEquals(
                Duration.ofMillis(100), new SettingSyntax.Flush().convert("100").interval());
        assertEquals(
                Duration.ofMillis(100),
                new SettingSyntax.Flush().convert("100ms").interval());
        assertThrows(TypeConversionException.class, () -> new SettingSyntax.Flush().convert("sometimes"));
    }
}
