package io.promptline.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.function.BooleanSupplier;

/**
 * The HTTP endpoint every Promptline deployable exposes for operators:
 * <ul>
 *   <li>{@code GET /metrics}: Prometheus text format (Micrometer registry, JVM and process meters included);</li>
 *   <li>{@code GET /health/live}: 200 while the process runs (Kubernetes liveness);</li>
 *   <li>{@code GET /health/ready}: 200 when the deployable says it is ready, else 503 (readiness).</li>
 * </ul>
 * Uses the JDK's HTTP server on one daemon thread: a scrape every few seconds needs nothing more.
 */
public final class MetricsEndpoint implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsEndpoint.class);
    private static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";

    private final PrometheusMeterRegistry registry;
    private final HttpServer server;
    private final JvmGcMetrics gc;

    private MetricsEndpoint(PrometheusMeterRegistry registry, HttpServer server, JvmGcMetrics gc) {
        this.registry = registry;
        this.server = server;
        this.gc = gc;
    }

    /** A registry with the JVM and process meters bound, for a deployable to add its own meters to. */
    public static PrometheusMeterRegistry newRegistry(String application) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().commonTags("application", application);
        new ClassLoaderMetrics().bindTo(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        return registry;
    }

    /**
     * Serves the registry on {@code host:port} (port 0 picks a free port).
     *
     * @param ready answers the readiness probe
     */
    public static MetricsEndpoint start(PrometheusMeterRegistry registry, String host, int port, BooleanSupplier ready) {
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 16);
        } catch (IOException e) {
            gc.close();
            throw new UncheckedIOException("Cannot serve metrics on " + host + ":" + port + " (" + e.getMessage()
                    + "); set another port or -1 to turn the endpoint off", e);
        }
        server.createContext("/metrics", ex -> respond(ex, 200, PROMETHEUS_TEXT, registry.scrape()));
        server.createContext("/health/live", ex -> respond(ex, 200, "text/plain", "live\n"));
        server.createContext("/health/ready", ex -> {
            boolean ok = ready.getAsBoolean();
            respond(ex, ok ? 200 : 503, "text/plain", ok ? "ready\n" : "not ready\n");
        });
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "promptline-metrics");
            t.setDaemon(true);
            return t;
        }));
        server.start();
        log.info("Metrics on http://{}:{}/metrics", host, server.getAddress().getPort());
        return new MetricsEndpoint(registry, server, gc);
    }

    private static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(405, -1);
                return;
            }
            byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", contentType);
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public PrometheusMeterRegistry registry() {
        return registry;
    }

    @Override
    public void close() {
        server.stop(0);
        ((java.util.concurrent.ExecutorService) server.getExecutor()).shutdownNow();
        gc.close();
    }
}
