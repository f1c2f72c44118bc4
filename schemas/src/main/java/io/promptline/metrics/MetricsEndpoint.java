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
import io.promptline.runtime.Health;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executors;

/**
 * The HTTP endpoint every Promptline deployable exposes for operators:
 * <ul>
 *   <li>{@code GET /metrics}: Prometheus text format (Micrometer registry, JVM and process meters included);
 *       {@code ?name[]=jvm_memory_used_bytes&name[]=...} returns only those metric families, as
 *       Prometheus' own client libraries do (the full page, with Kafka's client metrics, is several hundred KB);</li>
 *   <li>{@code GET /health/live}: 200 while every part of the deployable is alive, else 503 naming the dead part
 *       (Kubernetes liveness: restart it);</li>
 *   <li>{@code GET /health/ready}: 200 when every part is ready, else 503 with each part's state (readiness).</li>
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
     * @param health answers the liveness and readiness probes
     */
    public static MetricsEndpoint start(PrometheusMeterRegistry registry, String host, int port, Health health) {
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
        server.createContext("/metrics", ex -> {
            Set<String> names = includedNames(ex.getRequestURI().getRawQuery());
            respond(ex, 200, PROMETHEUS_TEXT, names.isEmpty() ? registry.scrape() : registry.scrape(PROMETHEUS_TEXT, names));
        });
        server.createContext("/health/live", ex -> {
            boolean ok = health.live();
            respond(ex, ok ? 200 : 503, "text/plain", (ok ? "live\n" : "not live\n") + health.report());
        });
        server.createContext("/health/ready", ex -> {
            boolean ok = health.ready();
            respond(ex, ok ? 200 : 503, "text/plain", (ok ? "ready\n" : "not ready\n") + health.report());
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

    private static final List<String> SAMPLE_SUFFIXES = List.of("_sum", "_count", "_bucket", "_max", "_total");

    /** The names of {@code name[]} parameters in a query string, with their family names; empty for all. */
    static Set<String> includedNames(String rawQuery) {
        if (rawQuery == null || rawQuery.isEmpty()) return Set.of();
        Set<String> names = new HashSet<>();
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            if (eq < 0) continue;
            String key = URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8);
            if (!key.equals("name[]")) continue;
            String name = URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            names.add(name);
            // Micrometer filters by family name: a timer's _sum is in the family without the suffix.
            for (String suffix : SAMPLE_SUFFIXES) {
                if (name.endsWith(suffix)) names.add(name.substring(0, name.length() - suffix.length()));
            }
        }
        return names;
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
