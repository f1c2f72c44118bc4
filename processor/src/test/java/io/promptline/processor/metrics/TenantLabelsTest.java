package io.promptline.processor.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** Thousands of tenants make a bounded number of spend series, and no spend is lost in the bound. */
class TenantLabelsTest {
    @Test
    void shouldBoundTheSpendSeriesAndKeepEveryMicro() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        ProcessorMetrics metrics = new ProcessorMetrics(registry, new TenantLabels(List.of("vip"), 100));
        long total = 0;
        for (int round = 0; round < 3; round++) {
            for (int t = 0; t < 5_000; t++) {
                metrics.spend("tenant-" + t, "gpt-4.1", "USD", "SYNC", false, t + 1);
                total += t + 1;
            }
        }
        metrics.spend("vip", "gpt-4.1", "USD", "SYNC", false, 7_000);
        total += 7_000;

        var counters = registry.find("promptline.spend.micros").counters();
        Set<String> labels = counters.stream().map(c -> c.getId().getTag("tenant")).collect(Collectors.toSet());
        // The first 100 tenants by name, the named one, and the rest as "other"
        assertThat(labels).hasSize(102).contains("tenant-0", "tenant-99", "vip", TenantLabels.OTHER).doesNotContain("tenant-100");
        assertThat(counters.stream().mapToDouble(Counter::count).sum()).isEqualTo((double) total);
        assertThat(registry.find("promptline.spend.micros").tag("tenant", "vip").counter().count()).isEqualTo(7_000.0);
        // A tenant labelled once keeps its label: tenant-5 spent 6 in each of the three rounds
        assertThat(registry.find("promptline.spend.micros").tag("tenant", "tenant-5").counter().count()).isEqualTo(18.0);
    }

    @Test
    void shouldLabelOnlyTheNamedTenantsWithALimitOfZero() {
        TenantLabels labels = new TenantLabels(List.of("acme"), 0);
        assertThat(labels.of("acme")).isEqualTo("acme");
        assertThat(labels.of("globex")).isEqualTo(TenantLabels.OTHER);
    }
}
