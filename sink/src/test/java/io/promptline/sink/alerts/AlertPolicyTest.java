package io.promptline.sink.alerts;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.testkit.MutableClock;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AlertPolicyTest {
    private final MutableClock clock = new MutableClock(Instant.parse("2026-11-22T10:00:00Z"));
    private final AlertPolicy policy = new AlertPolicy(EnumSet.of(ErrorCategory.AUTHENTICATION, ErrorCategory.BUDGET_EXCEEDED,
            ErrorCategory.PROVIDER_ERROR), 20, Duration.ofMinutes(5), Duration.ofHours(1), 10, clock);

    private static DeadLetter letter(ErrorCategory c, String tenant, int i) {
        return DeadLetter.newBuilder().setRequestId("r" + i).setTenant(tenant).setCategory(c).setHttpStatus(c == ErrorCategory.AUTHENTICATION ? 401 : null)
                .setMessage("HTTP 401 from openai: Incorrect API key provided.").setAttempts(1).setOriginTopic("llm.requests.normal")
                .setOriginPartition(0).setOriginOffset(i).setFailedAt(Instant.parse("2026-11-22T10:00:00Z")).build();
    }

    @Test
    void shouldRaiseOneAlertForAnOutageOfTenThousandAndSummariseTheRestAfterTheWindow() {
        List<Alert> alerts = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            alerts.addAll(policy.offer(letter(ErrorCategory.AUTHENTICATION, "tenant-" + (i % 40), i)));
            if (i % 100 == 0) {
                clock.advance(Duration.ofSeconds(1));
                alerts.addAll(policy.tick());
            }
        }
        assertThat(alerts).singleElement().satisfies(a -> {
            assertThat(a.key()).isEqualTo("AUTHENTICATION");
            assertThat(a.count()).isEqualTo(1);
            assertThat(a.summary()).isFalse();
            assertThat(a.text()).contains("Promptline: AUTHENTICATION").contains("HTTP 401").contains("Incorrect API key provided.");
            assertThat(a.toSlackJson()).startsWith("{\"text\":").contains("\"blocks\":[{\"type\":\"section\"");
        });

        // An hour later, one summary counts what was held back
        clock.advance(Duration.ofHours(1));
        List<Alert> later = policy.tick();
        assertThat(later).singleElement().satisfies(a -> {
            assertThat(a.summary()).isTrue();
            assertThat(a.count()).isEqualTo(9_999);
            assertThat(a.text()).contains("9999 more AUTHENTICATION dead letters");
        });
        assertThat(policy.tick()).as("nothing more to report").isEmpty();
    }

    @Test
    void shouldAlertBudgetsPerTenant() {
        List<Alert> alerts = new ArrayList<>();
        for (int i = 0; i < 300; i++) alerts.addAll(policy.offer(letter(ErrorCategory.BUDGET_EXCEEDED, "tenant-" + (i % 3), i)));
        assertThat(alerts).extracting(Alert::key).containsExactlyInAnyOrder("BUDGET_EXCEEDED|tenant-0", "BUDGET_EXCEEDED|tenant-1",
                "BUDGET_EXCEEDED|tenant-2");
        assertThat(alerts).allSatisfy(a -> assertThat(a.text()).contains("for tenant tenant-"));
    }

    @Test
    void shouldAlertProviderErrorsOnlyWhenSustained() {
        List<Alert> alerts = new ArrayList<>();
        // A blip: 19 in 5 minutes, then quiet
        for (int i = 0; i < 19; i++) {
            alerts.addAll(policy.offer(letter(ErrorCategory.PROVIDER_ERROR, "acme", i)));
            clock.advance(Duration.ofSeconds(10));
        }
        clock.advance(Duration.ofMinutes(10));
        assertThat(alerts).isEmpty();
        // An outage: 20 within 5 minutes
        for (int i = 0; i < 25; i++) alerts.addAll(policy.offer(letter(ErrorCategory.PROVIDER_ERROR, "acme", 100 + i)));
        assertThat(alerts).singleElement().satisfies(a -> assertThat(a.key()).isEqualTo("PROVIDER_ERROR"));
    }

    @Test
    void shouldNeverAlertOtherCategoriesAndCapAlertsPerMinute() {
        for (ErrorCategory c : List.of(ErrorCategory.RATE_LIMIT, ErrorCategory.INVALID_REQUEST, ErrorCategory.MALFORMED_INPUT)) {
            assertThat(policy.offer(letter(c, "acme", 1))).isEmpty();
        }
        List<Alert> alerts = new ArrayList<>();
        for (int t = 0; t < 25; t++) alerts.addAll(policy.offer(letter(ErrorCategory.BUDGET_EXCEEDED, "tenant-" + t, t)));
        assertThat(alerts).as("10 a minute at most").hasSize(10);
        clock.advance(Duration.ofMinutes(1).plusSeconds(1));
        for (int t = 10; t < 25; t++) alerts.addAll(policy.offer(letter(ErrorCategory.BUDGET_EXCEEDED, "tenant-" + t, 100 + t)));
        assertThat(alerts).as("the held back tenants alert in the next minute, one each").hasSize(20);
    }

    @Test
    void shouldRefuseNonsenseSettingsNamingThem() {
        assertThatThrownBy(() -> new AlertPolicy(EnumSet.of(ErrorCategory.AUTHENTICATION), 0, Duration.ofMinutes(1), Duration.ofHours(1), 10, clock))
                .hasMessageContaining("sustained count must be >= 1, was 0");
    }
}
