package io.promptline.ops.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.promptline.ops.simulator.Arrival;

import java.net.Socket;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What ops/run-local.sh runs, driven in-process on free ports: a broker process, registry,
 * simulator, PostgreSQL, processor and sink start; a sample workload completes; everything stops.
 */
class LocalStackIntegrationTest {
    @TempDir
    Path dir;



    @Test
    void shouldRunTheSampleWorkloadToCompletionAndStopEverything() throws Exception {
        int kafkaPort = Ports.freePair();
        LocalStackSettings settings = LocalStackSettings.parse(new String[]{"--requests", "40", "--timeout-seconds", "120"}, Map.of(
                "PROMPTLINE_LOCAL_DIR", dir.toString(),
                "PROMPTLINE_LOCAL_KAFKA_PORT", String.valueOf(kafkaPort),
                "PROMPTLINE_LOCAL_REGISTRY_PORT", String.valueOf(Ports.free()),
                "PROMPTLINE_LOCAL_SIMULATOR_PORT", String.valueOf(Ports.free()),
                "PROMPTLINE_LOCAL_POSTGRES_PORT", String.valueOf(Ports.free()),
                "PROMPTLINE_SIMULATOR_LATENCY", "fixed:50"));
        assertThat(settings.realProvider()).isFalse();

        try (LocalStack stack = new LocalStack(settings)) {
            stack.startAll();
            assertThat(stack.runWorkload()).as("every sample request ends in a result or a dead letter").isTrue();
            assertThat(Files.exists(dir.resolve("registry").resolve("registry-log.jsonl"))).as("registry is durable").isTrue();
        }

        // Then the broker process is gone: its port refuses connections
        assertThatThrownBy(() -> new Socket("127.0.0.1", kafkaPort).close()).isInstanceOf(java.net.ConnectException.class);
    }

    /**
     * The seeds' kind of job in one command: {@code --import-rows} makes a table and imports it with the JDBC import into one
     * tenant's batch tier, {@code --tenant-limit} holds that tenant to its limit from the first call, {@code --in-flight} and
     * {@code --latency} shape the processor and the simulator.
     */
    @Test
    void shouldImportATableForOneTenantUnderItsLimitWithOneResultPerRow() throws Exception {
        int rows = 300;
        int perMinute = 1_200; // 20 a second, a burst of 60
        LocalStackSettings settings = LocalStackSettings.parse(new String[]{"--import-rows", String.valueOf(rows), "--tenant", "seeds",
                "--tenant-limit", "seeds=" + perMinute, "--in-flight", "32", "--latency", "fixed:40", "--timeout-seconds", "120"}, Map.of(
                "PROMPTLINE_LOCAL_DIR", dir.toString(),
                "PROMPTLINE_LOCAL_KAFKA_PORT", String.valueOf(Ports.freePair()),
                "PROMPTLINE_LOCAL_REGISTRY_PORT", String.valueOf(Ports.free()),
                "PROMPTLINE_LOCAL_SIMULATOR_PORT", String.valueOf(Ports.free()),
                "PROMPTLINE_LOCAL_POSTGRES_PORT", String.valueOf(Ports.free()),
                "PROMPTLINE_LOCAL_METRICS_PORT", String.valueOf(Ports.freePair())));
        assertThat(settings.maxInFlight()).isEqualTo(32);
        assertThat(settings.simulatorLatency()).isEqualTo("fixed:40");
        try (LocalStack stack = new LocalStack(settings)) {
            stack.startAll();
            assertThat(stack.runWorkload()).as("every row ends in a result").isTrue();
            try (Connection c = stack.dataSource().getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT count(*), count(DISTINCT request_id), min(tenant), max(tenant), min(priority), "
                         + "max(priority) FROM prompt_results WHERE request_id LIKE 'run%'")) {
                rs.next();
                assertThat(rs.getLong(1)).as("one result per row").isEqualTo(rows);
                assertThat(rs.getLong(2)).isEqualTo(rows);
                assertThat(List.of(rs.getString(3), rs.getString(4))).containsOnly("seeds");
                assertThat(List.of(rs.getString(5), rs.getString(6))).containsOnly("BATCH");
            }
            // The tenant's limit held from its first call, as the provider saw the calls: never more than the burst above the rate
            List<Long> calls = stack.simulator().arrivals().stream().map(Arrival::receivedAtMillis).sorted().toList();
            assertThat(calls).hasSize(rows);
            long most = 0;
            for (long t : calls) {
                long from = t;
                most = Math.max(most, calls.stream().filter(x -> x >= from && x < from + 1_000).count());
            }
            assertThat(most).as("calls in any 1 s window").isLessThanOrEqualTo(perMinute / 20 + perMinute / 60);
            assertThat(calls.get(calls.size() - 1) - calls.get(0)).as("ms from the first call to the last at 20 a second after a burst of 60")
                    .isGreaterThanOrEqualTo((rows - perMinute / 20 - 1) * 1_000L / (perMinute / 60));
        }
    }

    @Test
    void shouldParseTheCapacityOptionsAndNameTheOneThatIsWrong() {
        LocalStackSettings s = LocalStackSettings.parse(new String[]{"--in-flight", "200", "--latency", "lognormal:1000,2500",
                "--tenant-limit", "acme=1200", "--tenant-limit", "globex=600:90000", "--import-rows", "1000"}, Map.of());
        assertThat(s.maxInFlight()).isEqualTo(200);
        assertThat(s.simulatorLatency()).isEqualTo("lognormal:1000,2500");
        assertThat(s.importRows()).isEqualTo(1000);
        assertThat(s.importTenant()).isEqualTo("seeds");
        assertThat(s.tenantLimits()).containsExactly(new LocalStackSettings.TenantLimit("acme", 1200, 0),
                new LocalStackSettings.TenantLimit("globex", 600, 90000));
        assertThat(LocalStackSettings.parse(new String[0], Map.of()).maxInFlight()).isEqualTo(256);
        assertThatThrownBy(() -> LocalStackSettings.parse(new String[]{"--latency", "slow"}, Map.of())).hasMessageContaining("--latency");
        assertThatThrownBy(() -> LocalStackSettings.parse(new String[0], Map.of("PROMPTLINE_SIMULATOR_LATENCY", "fixed:x")))
                .hasMessageContaining("PROMPTLINE_SIMULATOR_LATENCY");
        assertThatThrownBy(() -> LocalStackSettings.parse(new String[]{"--tenant-limit", "acme"}, Map.of()))
                .hasMessageContaining("TENANT=REQUESTS_PER_MINUTE");
        assertThatThrownBy(() -> LocalStackSettings.parse(new String[]{"--tenant-limit", "acme=0"}, Map.of()))
                .hasMessageContaining("--tenant-limit acme requests per minute");
        assertThatThrownBy(() -> LocalStackSettings.parse(new String[]{"--in-flight", "-3"}, Map.of())).hasMessageContaining("--in-flight");
        assertThatThrownBy(() -> LocalStackSettings.parse(new String[]{"--requests", "5", "--import-rows", "5"}, Map.of()))
                .hasMessageContaining("--requests and --import-rows");
        assertThatThrownBy(() -> LocalStackSettings.parse(new String[]{"--in-flight"}, Map.of())).hasMessageContaining("needs a value");
    }

    @Test
    void shouldRefuseABaseUrlWithoutAKeyAndNeverPrintTheKey() {
        assertThatThrownBy(() -> LocalStackSettings.parse(new String[0], Map.of("PROMPTLINE_LLM_BASE_URL", "https://api.example.com/v1")))
                .hasMessageContaining("PROMPTLINE_LLM_API_KEY");
        LocalStackSettings real = LocalStackSettings.parse(new String[0], Map.of(
                "PROMPTLINE_LLM_BASE_URL", "https://api.example.com/v1", "PROMPTLINE_LLM_API_KEY", "sk-secret-123"));
        assertThat(real.realProvider()).isTrue();
        assertThat(real.provider()).isEqualTo("example");
        assertThat(real.requests()).isEqualTo(10);
        assertThat(real.toString()).doesNotContain("sk-secret-123");
        assertThatThrownBy(() -> LocalStackSettings.parse(new String[]{"--requests", "many"}, Map.of()))
                .hasMessageContaining("--requests");
        assertThat(real.api()).as("the API when none is named").isEqualTo("openai");
        LocalStackSettings claude = LocalStackSettings.parse(new String[0], Map.of("PROMPTLINE_LLM_BASE_URL", "https://api.anthropic.com/v1",
                "PROMPTLINE_LLM_API_KEY", "sk-ant", "PROMPTLINE_LLM_API", "anthropic"));
        assertThat(claude.api()).isEqualTo("anthropic");
        assertThat(claude.provider()).isEqualTo("anthropic");
    }
}
