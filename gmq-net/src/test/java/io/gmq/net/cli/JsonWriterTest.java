package io.gmq.net.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The JSON of --output json and of the JSON log lines, read back by an independent parser (Gson). */
final class JsonWriterTest {
    @Test
    void writesNestedObjectsAndArraysCompactly() {
        String json = new JsonWriter()
                .beginObject()
                .name("topic")
                .value("orders")
                .name("partitions")
                .beginArray()
                .beginObject()
                .name("partition")
                .value(0)
                .name("leader")
                .value((String) null)
                .endObject()
                .value(true)
                .endArray()
                .name("empty")
                .beginArray()
                .endArray()
                .endObject()
                .toString();
        assertEquals(
                "{\"topic\":\"orders\",\"partitions\":[{\"partition\":0,\"leader\":null},true],\"empty\":[]}", json);
    }

    @Test
    void escapesQuotesBackslashesAndControlCharacters() {
        String nasty = "a\"b\\c\nd\re\tf\u0000g\u001fh\u2028i é 😀";
        String json = new JsonWriter()
                .beginObject()
                .name("k\"")
                .value(nasty)
                .endObject()
                .toString();
        assertEquals("{\"k\\\"\":\"a\\\"b\\\\c\\nd\\re\\tf\\u0000g\\u001fh\\u2028i é 😀\"}", json);
        assertEquals(
                nasty, JsonParser.parseString(json).getAsJsonObject().get("k\"").getAsString());
    }

    @Property(tries = 300)
    void everyStringReadsBackUnchanged(@ForAll String name, @ForAll String value, @ForAll long number) {
        String json = new JsonWriter()
                .beginObject()
                .name("n")
                .value(number)
                .name("s")
                .value(value)
                .name("o")
                .beginObject()
                .name(name)
                .value(value)
                .endObject()
                .endObject()
                .toString();
        JsonObject o = JsonParser.parseString(json).getAsJsonObject();
        assertEquals(number, o.get("n").getAsLong());
        assertEquals(value, o.get("s").getAsString());
        assertEquals(value, o.getAsJsonObject("o").get(name).getAsString());
    }

    @Test
    void misuseIsAnError() {
        assertThrows(
                IllegalStateException.class,
                () -> new JsonWriter().beginObject().value(1));
        assertThrows(
                IllegalStateException.class, () -> new JsonWriter().beginArray().name("x"));
        assertThrows(
                IllegalStateException.class, () -> new JsonWriter().beginArray().endObject());
        assertThrows(
                IllegalStateException.class,
                () -> new JsonWriter().beginObject().toString());
        assertThrows(
                IllegalStateException.class,
                () -> new JsonWriter().beginObject().endObject().beginObject());
    }
}
