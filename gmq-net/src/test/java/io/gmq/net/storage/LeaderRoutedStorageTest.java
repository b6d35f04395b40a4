package io.gmq.net.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.gmq.storage.Storage;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A broker's routed storage forwards every call; a default method it did not override would answer for the cluster. */
class LeaderRoutedStorageTest {
    @Test
    void everyStorageMethodIsForwarded() {
        List<String> missing = new ArrayList<>();
        for (Method m : Storage.class.getMethods()) {
            try {
                Method own = LeaderRoutedStorage.class.getDeclaredMethod(m.getName(), m.getParameterTypes());
                if (own.isDefault()) {
                    missing.add(m.toString());
                }
            } catch (NoSuchMethodException e) {
                missing.add(m.toString());
            }
        }
        assertEquals(List.of(), missing, "Storage methods LeaderRoutedStorage does not forward");
    }
}
