package io.promptline.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.promptline.runtime.Health;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MetricsEndpointTest {

    @Test
    void shouldServeMetersAndHealthOverHttp() throws Exception {
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry("test-app");
        Counter.builder("promptline.results").tag("tier", "urgent").register(registry).increment(3);
        Counter.builder("promptline.results").tag("tier", "batch").register(registry).increment(4);
        AtomicBoolean ready = new AtomicBoolean(false);
        AtomicBoolean alive = new AtomicBoolean(true);
        Health health = new Health().add("worker", alive::get, ready::get);
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(registry, "127.0.0.1", 0, health)) {
            String base = "http://127.0.0.1:" + endpoint.port();

            PrometheusText metrics = PrometheusText.scrape(base + "/metrics");
            assertThat(metrics.sum("promptline_results_total")).isEqualTo(7.0);
            assertThat(metrics.sum("promptline_results_total", Map.of("tier", "urgent"))).isEqualTo(3.0);
            assertThat(metrics.samples("promptline_results_total")).allSatisfy(s ->
                    assertThat(s.labels()).containsEntry("application", "test-app"));
            assertThat(metrics.sum("jvm_memory_used_bytes", Map.of("area", "heap"))).isPositive();

            assertThat(status(base + "/health/live")).isEqualTo(200);
            assertThat(status(base + "/health/ready")).isEqualTo(503);
            ready.set(true);
            assertThat(status(base + "/health/ready")).isEqualTo(200);

            // A part that cannot go on fails liveness (an orchestrator restarts the process) and readiness, naming it
            alive.set(false);
            assertThat(status(base + "/health/live")).isEqualTo(503);
            assertThat(status(base + "/health/ready")).isEqualTo(503);
            assertThat(body(base + "/health/live")).contains("worker: dead");
        }
    }

    @Test
    void shouldServeOnlyTheNamedSamplesWhenAsked() throws Exception {
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry("test-app");
        Counter.builder("promptline.results").register(registry).increment(5);
        Timer.builder("promptline.call.latency").register(registry).record(Duration.ofMillis(250));
        try (MetricsEndpoint endpoint = MetricsEndpoint.start(registry, "127.0.0.1", 0, new Health())) {
            String url = "http://127.0.0.1:" + endpoint.port() + "/metrics?name%5B%5D=jvm_memory_used_bytes&name%5B%5D=promptline_call_latency_seconds_sum";
            PrometheusText metrics = PrometheusText.scrape(url);
            assertThat(metrics.sum("jvm_memory_used_bytes", Map.of("area", "heap"))).isPositive();
            assertThat(metrics.sum("promptline_call_latency_seconds_sum")).isEqualTo(0.25);
            assertThat(metrics.samples("promptline_results_total")).isEmpty();
            assertThat(PrometheusText.scrape(url.substring(0, url.indexOf('?'))).sum("promptline_results_total")).isEqualTo(5.0);
        }
        assertThat(MetricsEndpoint.includedNames(null)).isEmpty();
        assertThat(MetricsEndpoint.includedNames("debug=1&name[]=a_total&name%5B%5D=b")).containsExactlyInAnyOrder("a_total", "a", "b");
    }

    @Test
    void shouldNameThePortWhenItIsTaken() {
        PrometheusMeterRegistry registry = MetricsEndpoint.newRegistry("test-app");
        try (MetricsEndpoint first = MetricsEndpoint.start(registry, "127.0.0.1", 0, new Health())) {
            assertThatThrownBy(() -> MetricsEndpoint.start(registry, "127.0.0.1", first.port(), new Health()))
                    .hasMessageContaining("Cannot serve metrics on 127.0.0.1:" + first.port())
                    .hasMessageContaining("-1 to turn the endpoint off");
        }
    }

    @Test
    void shouldParseLabelsWithEscapesAndSpecialValues() {
        PrometheusText t = PrometheusText.parse("""
                # HELP x a counter
                x_total{a="1",b="with \\"quote\\" and, comma"} 2.5
                x_total{a="2"} +Inf
                y 4
                """);
        assertThat(t.sum("x_total", Map.of("b", "with \"quote\" and, comma"))).isEqualTo(2.5);
        assertThat(t.sum("x_total", Map.of("a", "2"))).isInfinite();
        assertThat(t.sum("y")).isEqualTo(4.0);
        assertThat(t.sum("absent")).isZero();
    }

    private static String body(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    private static int status(String url) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
