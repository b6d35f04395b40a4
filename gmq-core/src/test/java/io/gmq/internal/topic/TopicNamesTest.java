package io.gmq.internal.topic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.gmq.ErrorCode;
import io.gmq.GmqException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopicNamesTest {

    private static GmqException rejected(String name) {
        GmqException e = assertThrows(GmqException.class, () -> TopicNames.validate(name));
        assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
        assertTrue(e.getMessage().contains(TopicNames.TOPIC_RULE), e.getMessage());
        return e;
    }

    @Test
    void slashIsRejectedWithItsIndexAndTheRule() {
        assertEquals(
                "topic name 'a/b' has '/' at index 1; allowed: 1-249 characters of [a-zA-Z0-9._-], not '.' or '..'",
                rejected("a/b").getMessage());
    }

    @Test
    void parentDirectoryPrefixIsRejectedAtTheSlash() {
        assertTrue(rejected("../x").getMessage().contains("'/' at index 2"));
    }

    @Test
    void dotAndDotDotAreReservedDirectoryNames() {
        assertTrue(rejected(".").getMessage().contains("reserved"));
        assertTrue(rejected("..").getMessage().contains("reserved"));
    }

    @Test
    void emptyAndNullAreRejected() {
        assertTrue(rejected("").getMessage().startsWith("topic name is empty"));
        assertTrue(rejected(null).getMessage().startsWith("topic name is missing"));
    }

    @Test
    void nameOf250CharactersIsTooLongAndTheMessageSaysHowLong() {
        String message = rejected("a".repeat(250)).getMessage();
        assertTrue(message.contains("has 250 characters, more than 249"), message);
        assertTrue(message.length() < 300, "the message quotes a shortened name: " + message);
    }

    @Test
    void nameOf249CharactersIsAccepted() {
        TopicNames.validate("a".repeat(249));
        assertTrue(TopicNames.isValid("x".repeat(249)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"orders", "a", "A.b_c-1", "...", ".hidden", "x..y", "0", "-", "_"})
    void namesOfAllowedCharactersAreAccepted(String name) {
        TopicNames.validate(name);
    }

    @Test
    void unicodeIsRejectedAndShownAsCodePoint() {
        String message = rejected("caf\u00e9").getMessage();
        assertTrue(message.contains("U+00E9 at index 3"), message);
        assertTrue(message.contains("'caf\\u00e9'"), message);
    }

    @Test
    void characterOutsideTheBasicPlaneIsNamedByItsCodePoint() {
        assertTrue(rejected("go\uD83D\uDE80").getMessage().contains("U+1F680 at index 2"));
    }

    @Test
    void controlCharactersAndSpacesAreRejected() {
        assertTrue(rejected("a\nb").getMessage().contains("U+000A at index 1"));
        assertTrue(rejected("a b").getMessage().contains("' ' at index 1"));
        assertTrue(rejected("a\\b").getMessage().contains("'\\' at index 1"));
        assertTrue(rejected("a\u0000").getMessage().contains("U+0000 at index 1"));
    }

    @Test
    void groupNamesAllowPrintableUnicodeAndPunctuation() {
        TopicNames.validateGroup("billing workers / eu-west (\u00e9t\u00e9) \uD83D\uDE80");
        TopicNames.validateGroup("g".repeat(249));
    }

    @Test
    void groupNamesRejectControlCharactersLengthNullAndLoneSurrogates() {
        for (String bad :
                new String[] {null, "", "g".repeat(250), "a\tb", "a\u0007", "a\u2028b", "x\uD83D", "\uDE80x"}) {
            GmqException e = assertThrows(GmqException.class, () -> TopicNames.validateGroup(bad), String.valueOf(bad));
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            assertTrue(e.getMessage().contains(TopicNames.GROUP_RULE), e.getMessage());
        }
    }

    @Provide
    Arbitrary<String> candidateNames() {
        // Mostly allowed characters with a few that are not, so both outcomes are common.
        Arbitrary<String> nearlyValid = Arbitraries.strings()
                .withChars("abcXYZ019._-")
                .withChars("/\\ \u00e9\u0000:")
                .ofMinLength(0)
                .ofMaxLength(260);
        Arbitrary<String> dots = Arbitraries.of(".", "..", "...", "");
        return Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, nearlyValid),
                net.jqwik.api.Tuple.of(3, Arbitraries.strings().ofMaxLength(300)),
                net.jqwik.api.Tuple.of(1, dots));
    }

    @Property(tries = 2000)
    void everyStringIsEitherAValidNameOrRejectedWithInvalidArgument(@ForAll("candidateNames") String name) {
        boolean accepted;
        try {
            TopicNames.validate(name);
            accepted = true;
        } catch (GmqException e) {
            assertEquals(ErrorCode.INVALID_ARGUMENT, e.code());
            accepted = false;
        }
        boolean matchesRule = name.length() >= 1
                && name.length() <= 249
                && name.chars().allMatch(c -> TopicNames.isAllowedTopicChar((char) c))
                && !name.equals(".")
                && !name.equals("..");
        assertEquals(matchesRule, accepted, "name " + TopicNames.quote(name));
        assertEquals(accepted, TopicNames.isValid(name));
        if (accepted) {
            assertTrue(name.matches("[a-zA-Z0-9._-]{1,249}"));
        }
    }
}
