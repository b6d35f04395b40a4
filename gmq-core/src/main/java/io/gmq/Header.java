package io.gmq;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A message header: a string name and a byte value. */
public record Header(String name, byte[] value) {
    public Header {
        if (name == null) {
            throw GmqException.invalidArgument("header name must not be null");
        }
        if (value == null) {
            value = new byte[0];
        }
    }

    public static Header of(String name, String value) {
        return new Header(name, value.getBytes(StandardCharsets.UTF_8));
    }

    public String valueAsString() {
        return new String(value, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Header h && h.name.equals(name) && Arrays.equals(h.value, value);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return name + "=" + valueAsString();
    }
}
