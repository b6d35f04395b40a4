package io.gmq.junit;

import io.gmq.ConsumerConfig;
import io.gmq.Gmq;
import io.gmq.GmqConfig;
import io.gmq.PublishOption;
import io.gmq.PublishResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A GMQ engine as a JUnit 5 fixture: a fresh engine in a temporary directory for each test, or
 * one engine for the whole class with {@link #keepAcrossTests()} (register it on a static field
 * then). Opening takes milliseconds.
 *
 * <pre>{@code
 * class OrderServiceTest {
 *     @RegisterExtension
 *     GmqExtension gmq = GmqExtension.create();
 *
 *     @Test
 *     void ordersReachTheProcessor() {
 *         MessageCollector received = gmq.collect("orders", "order-processors");
 *         gmq.publishAll("orders", "Order#1001", "Order#1002");
 *         assertEquals(List.of("Order#1001", "Order#1002"), received.await(2).stream()
 *                 .map(ConsumeMessage::payloadAsString).sorted().toList());
 *     }
 * }
 * }</pre>
 */
public final class GmqExtension implements BeforeEachCallback, AfterEachCallback, BeforeAllCallback, AfterAllCallback {
    private UnaryOperator<GmqConfig.Builder> customizer = UnaryOperator.identity();
    private boolean keepAcrossTests;
    private boolean keepFiles;
    private boolean openedForClass;
    private Path dataDir;
    private Gmq gmq;
    private final List<MessageCollector> collectors = new ArrayList<>();

    private GmqExtension() {}

    public static GmqExtension create() {
        return new GmqExtension();
    }

    /** Adjusts the engine configuration (the data directory is set by the extension). */
    public GmqExtension withConfig(UnaryOperator<GmqConfig.Builder> customizer) {
        this.customizer = customizer;
        return this;
    }

    /** One engine for all tests of the class (register on a static field). */
    public GmqExtension keepAcrossTests() {
        this.keepAcrossTests = true;
        return this;
    }

    /** Leaves the data directory on disk after the tests (for inspection). */
    public GmqExtension keepFiles() {
        this.keepFiles = true;
        return this;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        if (keepAcrossTests) {
            open();
            openedForClass = true;
        }
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (openedForClass) {
            shutdown();
            openedForClass = false;
        }
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        if (!openedForClass) {
            open();
        }
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (!openedForClass) {
            shutdown();
        }
    }

    private void open() {
        try {
            dataDir = Files.createTempDirectory("gmq-test-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        gmq = Gmq.open(config());
    }

    private GmqConfig config() {
        return customizer
                .apply(GmqConfig.builder().dataDir(dataDir))
                .dataDir(dataDir)
                .build();
    }

    private void shutdown() {
        try {
            closeEngine();
        } finally {
            if (!keepFiles && dataDir != null) {
                deleteRecursively(dataDir);
            }
            dataDir = null;
        }
    }

    private void closeEngine() {
        for (MessageCollector c : collectors) {
            c.close();
        }
        collectors.clear();
        if (gmq != null) {
            gmq.close();
            gmq = null;
        }
    }

    /** The engine of the current test. */
    public Gmq gmq() {
        if (gmq == null) {
            throw new IllegalStateException(
                    "no engine: GmqExtension is not active (register it with @RegisterExtension)");
        }
        return gmq;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Closes the engine and opens it again on the same directory (a clean restart). */
    public Gmq restart() {
        closeEngine();
        gmq = Gmq.open(config());
        return gmq;
    }

    /** Publishes each payload (UTF-8) with the given options; returns where each landed. */
    public List<PublishResult> publishAll(String topic, String... payloads) {
        List<PublishResult> results = new ArrayList<>(payloads.length);
        for (String p : payloads) {
            results.add(gmq().publish(topic, p.getBytes(StandardCharsets.UTF_8)));
        }
        return results;
    }

    public PublishResult publish(String topic, String payload, PublishOption... options) {
        return gmq().publish(topic, payload.getBytes(StandardCharsets.UTF_8), options);
    }

    /** Subscribes a collecting consumer in {@code group}; closed after the test. */
    public MessageCollector collect(String topic, String group) {
        return collect(ConsumerConfig.builder().consumerGroup(group).pullInterval(Duration.ofMillis(50)), topic);
    }

    /** Subscribes a collecting consumer built from {@code consumer} (its handler is replaced). */
    public MessageCollector collect(ConsumerConfig.Builder consumer, String... topics) {
        MessageCollector c = new MessageCollector();
        c.attach(gmq().subscribe(consumer.messageHandler(c).build(), topics));
        collectors.add(c);
        return c;
    }

    private static void deleteRecursively(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temp directory
                }
            });
        } catch (IOException ignored) {
            // best effort
        }
    }
}
