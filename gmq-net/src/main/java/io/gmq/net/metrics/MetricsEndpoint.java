package io.gmq.net.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmCompilationMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmInfoMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Prometheus scrape endpoint of a GMQ process ({@code --metrics-port}): {@code GET /metrics}
 * on the process's {@code --host} answers with every meter of {@link #registry()} in the
 * Prometheus text format (0.0.4). The registry holds the engine's meters (the process passes it
 * as {@link io.gmq.GmqConfig#meterRegistry()}), the listener's, and the JVM and process meters of
 * Micrometer's binders (memory, GC, threads, classes, JIT, CPU, open files, uptime).
 *
 * <p>Served by the JDK's own HTTP server on one daemon thread ({@code gmq-metrics-http}): a scrape
 * every few seconds needs no more, and nothing else listens on the port. Meters are read when
 * scraped; the endpoint adds nothing to the message path.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MetricsEndpoint.class);
    public static final String PATH = "/metrics";
    static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final JvmGcMetrics gc;
    private final HttpServer server;
    private final ExecutorService executor;

    private MetricsEndpoint(
            PrometheusMeterRegistry registry, JvmGcMetrics gc, HttpServer server, ExecutorService executor) {
        this.registry = registry;
        this.gc = gc;
        this.server = server;
        this.executor = executor;
    }

    /**
     * Binds {@code host:port} ({@code port} 0 picks a free one) and starts serving a new registry
     * with the JVM and process meters bound.
     *
     * @throws UncheckedIOException naming the address if it cannot be bound (in use, say)
     */
    public static MetricsEndpoint start(String host, int port) {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            throw new UncheckedIOException(
                    "cannot serve metrics on " + host + ":" + port + ": " + e.getMessage()
                            + "; choose another --metrics-port (0 picks a free one)",
                    e);
        }
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        JvmGcMetrics gc = new JvmGcMetrics();
        bindProcessMeters(registry, gc);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "gmq-metrics-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext(PATH, exchange -> serve(registry, exchange));
        server.start();
        return new MetricsEndpoint(registry, gc, server, executor);
    }

    private static void bindProcessMeters(MeterRegistry registry, JvmGcMetrics gc) {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmCompilationMetrics().bindTo(registry);
        new JvmInfoMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    private static void serve(PrometheusMeterRegistry registry, HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!PATH.equals(exchange.getRequestURI().getPath())) {
                exchange.sendResponseHeaders(404, -1);
                return;
            }
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body;
            try {
                body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            } catch (RuntimeException e) {
                LOG.warn("metrics scrape failed", e);
                exchange.sendResponseHeaders(500, -1);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", CONTENT_TYPE);
            if ("HEAD".equals(method)) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** The registry this endpoint serves: give it to the engine and the listener. */
    public MeterRegistry registry() {
        return registry;
    }

    /** The bound port (useful with port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops serving and releases the port and the JVM listeners of the binders. */
    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        gc.close();
        registry.close();
    }
}
