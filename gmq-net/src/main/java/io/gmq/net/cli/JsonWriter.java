package io.gmq.net.cli;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * A compact JSON text built in order: {@code --output json} of the admin commands and the JSON log
 * lines. Small enough not to need a JSON library in gmq.jar; strings are escaped per RFC 8259
 * (quote, backslash and every control character; everything else, non-ASCII included, as is).
 *
 * <pre>
 *   new JsonWriter().beginObject().name("topic").value("orders").name("partitions").value(3).endObject()
 *   // {"topic":"orders","partitions":3}
 * </pre>
 *
 * Misuse (a value where a name is due, an unclosed object) is a programming error: {@link
 * IllegalStateException}.
 */
final class JsonWriter {
    private final StringBuilder out = new StringBuilder();
    /** One entry per open object or array: true once it holds an element (a comma is due). */
    private final Deque<Boolean> hasElements = new ArrayDeque<>();
    /** Which of the open scopes are objects (the others are arrays). */
    private final Deque<Boolean> isObject = new ArrayDeque<>();

    private boolean nameWritten;

    JsonWriter beginObject() {
        beforeValue();
        out.append('{');
        hasElements.push(false);
        isObject.push(true);
        return this;
    }

    JsonWriter endObject() {
        return end(true, '}');
    }

    JsonWriter beginArray() {
        beforeValue();
        out.append('[');
        hasElements.push(false);
        isObject.push(false);
        return this;
    }

    JsonWriter endArray() {
        return end(false, ']');
    }

    JsonWriter name(String name) {
        if (isObject.isEmpty() || !isObject.peek() || nameWritten) {
            throw new IllegalStateException("a name belongs directly in an object, before its value: " + name);
        }
        if (hasElements.pop()) {
            out.append(',');
        }
        hasElements.push(true);
        appendString(out, name);
        out.append(':');
        nameWritten = true;
        return this;
    }

    /** A string value, or null. */
    JsonWriter value(String value) {
        beforeValue();
        if (value == null) {
            out.append("null");
        } else {
            appendString(out, value);
        }
        return this;
    }

    JsonWriter value(long value) {
        beforeValue();
        out.append(value);
        return this;
    }

    JsonWriter value(boolean value) {
        beforeValue();
        out.append(value);
        return this;
    }

    /** The JSON text; every object and array must be closed. */
    @Override
    public String toString() {
        if (!hasElements.isEmpty() || nameWritten) {
            throw new IllegalStateException("unclosed JSON object or array: " + out);
        }
        return out.toString();
    }

    private void beforeValue() {
        if (isObject.isEmpty()) {
            if (out.length() > 0) {
                throw new IllegalStateException("one top-level value per writer");
            }
            return;
        }
        if (isObject.peek()) {
            if (!nameWritten) {
                throw new IllegalStateException("a value in an object needs its name first");
            }
            nameWritten = false;
            return;
        }
        if (hasElements.pop()) {
            out.append(',');
        }
        hasElements.push(true);
    }

    private JsonWriter end(boolean object, char close) {
        if (isObject.isEmpty() || isObject.peek() != object || nameWritten) {
            throw new IllegalStateException("nothing to close with " + close + " here: " + out);
        }
        isObject.pop();
        hasElements.pop();
        out.append(close);
        return this;
    }

    /** Appends {@code s} as a JSON string literal, quotes included. */
    static void appendString(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    // Control characters must be escaped; U+2028/U+2029 too, for JavaScript readers.
                    if (c < 0x20 || c == '\u2028' || c == '\u2029') {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
