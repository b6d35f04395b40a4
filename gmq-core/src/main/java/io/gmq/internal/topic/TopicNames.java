package io.gmq.internal.topic;

import io.gmq.GmqException;

/**
 * The rules for topic and consumer group names.
 *
 * <p>A topic name becomes a directory name under the data directory (one directory per
 * topic-partition), so it must never be able to escape it or clash with file system specials:
 * 1 to {@value #MAX_LENGTH} characters of {@code [a-zA-Z0-9._-]}, and neither {@code .} nor
 * {@code ..}. With no separator allowed, {@code ..} is the only way up, and it is refused.
 *
 * <p>A group name is never a file name (groups live in SQLite), so it may hold any printable
 * character; it is still bounded in length and refuses control, format and separator characters
 * and unpaired surrogates so that logs and admin listings stay readable.
 *
 * <p>{@link #validate} runs on every publish that misses the registry's cache; it allocates
 * nothing when the name is valid.
 */
public final class TopicNames {
    /** Longest topic or group name, in UTF-16 chars (the same bound as Kafka's topic names). */
    public static final int MAX_LENGTH = 249;

    static final String TOPIC_RULE = "allowed: 1-" + MAX_LENGTH + " characters of [a-zA-Z0-9._-], not '.' or '..'";
    static final String GROUP_RULE = "allowed: 1-" + MAX_LENGTH + " printable characters, no control characters";

    /** Longest part of an offending name quoted in an error message. */
    private static final int QUOTE_LIMIT = 64;

    private TopicNames() {}

    /** Whether {@code c} may appear in a topic name. */
    public static boolean isAllowedTopicChar(char c) {
        return (c >= 'a' && c <= 'z')
                || (c >= 'A' && c <= 'Z')
                || (c >= '0' && c <= '9')
                || c == '.'
                || c == '_'
                || c == '-';
    }

    /** True when {@link #validate} would accept {@code name}. */
    public static boolean isValid(String name) {
        return firstProblem(name) == Problem.NONE;
    }

    /** Throws INVALID_ARGUMENT, naming the rule and what broke it, unless {@code name} is a valid topic name. */
    public static void validate(String name) {
        Problem problem = firstProblem(name);
        if (problem != Problem.NONE) {
            throw GmqException.invalidArgument(describe(name, problem));
        }
    }

    /** Throws INVALID_ARGUMENT unless {@code group} is a valid consumer group name. */
    public static void validateGroup(String group) {
        if (group == null) {
            throw GmqException.invalidArgument("group name is missing (null); " + GROUP_RULE);
        }
        int length = group.length();
        if (length == 0) {
            throw GmqException.invalidArgument("group name is empty; " + GROUP_RULE);
        }
        if (length > MAX_LENGTH) {
            throw GmqException.invalidArgument("group name " + quote(group) + " has " + length
                    + " characters, more than " + MAX_LENGTH + "; " + GROUP_RULE);
        }
        for (int i = 0; i < length; i++) {
            char c = group.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < length && Character.isLowSurrogate(group.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, group.charAt(i + 1));
                if (!printable(cp)) {
                    throw badGroupChar(group, cp, i);
                }
                i++;
            } else if (Character.isSurrogate(c) || !printable(c)) {
                throw badGroupChar(group, c, i);
            }
        }
    }

    private static boolean printable(int codePoint) {
        switch (Character.getType(codePoint)) {
            case Character.CONTROL:
            case Character.FORMAT:
            case Character.LINE_SEPARATOR:
            case Character.PARAGRAPH_SEPARATOR:
            case Character.SURROGATE:
                return false;
            default:
                // UNASSIGNED is allowed on purpose: which code points are assigned depends on
                // the JDK's Unicode version, and a name must not turn invalid on another JDK.
                return true;
        }
    }

    private static GmqException badGroupChar(String group, int codePoint, int index) {
        return GmqException.invalidArgument("group name " + quote(group) + " has " + codePointName(codePoint)
                + " at index " + index + "; " + GROUP_RULE);
    }

    /** What is wrong with a topic name; checked in this order so the message names the first problem. */
    private enum Problem {
        NONE,
        NULL,
        EMPTY,
        TOO_LONG,
        DOT,
        BAD_CHAR
    }

    private static Problem firstProblem(String name) {
        if (name == null) {
            return Problem.NULL;
        }
        int length = name.length();
        if (length == 0) {
            return Problem.EMPTY;
        }
        if (length > MAX_LENGTH) {
            return Problem.TOO_LONG;
        }
        for (int i = 0; i < length; i++) {
            if (!isAllowedTopicChar(name.charAt(i))) {
                return Problem.BAD_CHAR;
            }
        }
        if (name.equals(".") || name.equals("..")) {
            return Problem.DOT;
        }
        return Problem.NONE;
    }

    private static String describe(String name, Problem problem) {
        switch (problem) {
            case NULL:
                return "topic name is missing (null); " + TOPIC_RULE;
            case EMPTY:
                return "topic name is empty; " + TOPIC_RULE;
            case TOO_LONG:
                return "topic name " + quote(name) + " has " + name.length() + " characters, more than " + MAX_LENGTH
                        + "; " + TOPIC_RULE;
            case DOT:
                return "topic name '" + name + "' is reserved (it names a directory); " + TOPIC_RULE;
            case BAD_CHAR:
                for (int i = 0; i < name.length(); i++) {
                    char c = name.charAt(i);
                    if (!isAllowedTopicChar(c)) {
                        int cp = name.codePointAt(i);
                        return "topic name " + quote(name) + " has " + codePointName(cp) + " at index " + i + "; "
                                + TOPIC_RULE;
                    }
                }
                throw new IllegalStateException("no bad character in " + name);
            default:
                throw new IllegalStateException("no problem to describe: " + problem);
        }
    }

    /** {@code '/'} for printable ASCII, {@code U+00E9} otherwise, so the message itself stays printable. */
    private static String codePointName(int codePoint) {
        if (codePoint >= 0x20 && codePoint < 0x7f) {
            return "'" + (char) codePoint + "'";
        }
        return String.format("U+%04X", codePoint);
    }

    /** The name in quotes, shortened and with anything outside printable ASCII escaped. */
    static String quote(String name) {
        StringBuilder sb = new StringBuilder(Math.min(name.length(), QUOTE_LIMIT) + 8).append('\'');
        int shown = Math.min(name.length(), QUOTE_LIMIT);
        for (int i = 0; i < shown; i++) {
            char c = name.charAt(i);
            if (c >= 0x20 && c < 0x7f && c != '\\') {
                sb.append(c);
            } else {
                sb.append(String.format("\\u%04x", (int) c));
            }
        }
        sb.append('\'');
        if (shown < name.length()) {
            sb.insert(sb.length() - 1, "...");
        }
        return sb.toString();
    }

    /** INVALID_ARGUMENT unless {@code 0 <= partition < partitions}. */
    public static void checkPartition(String topic, int partition, int partitions) {
        if (partition < 0 || partition >= partitions) {
            throw GmqException.invalidArgument("partition " + partition + " is out of range for topic '" + topic
                    + "' with " + partitions + " partitions (valid: 0.." + (partitions - 1) + ")");
        }
    }
}
