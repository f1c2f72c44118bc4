package io.promptline.processor.provider;

import io.promptline.avro.Priority;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DispatchPermitsTest {
    @Test
    void shouldKeepHeadroomForUrgentWhileBatchSaturates() {
        DispatchPermits permits = new DispatchPermits(10, 0.8, 0.5);

        int batch = 0;
        while (permits.tryAcquire(Priority.BATCH)) batch++;
        int normal = 0;
        while (permits.tryAcquire(Priority.NORMAL)) normal++;
        int urgent = 0;
        while (permits.tryAcquire(Priority.URGENT)) urgent++;

        assertThat(batch).as("batch stops at its share").isEqualTo(5);
        assertThat(normal).as("normal fills up to its share of the total").isEqualTo(3);
        assertThat(urgent).as("urgent takes whatever is left").isEqualTo(2);
        assertThat(permits.inFlight()).isEqualTo(10);
        assertThat(permits.inFlight(Priority.BATCH)).isEqualTo(5);
    }

    @Test
    void shouldLetUrgentUseEveryPermitAndReleaseByTier() {
        DispatchPermits permits = new DispatchPermits(4, 0.5, 0.25);
        for (int i = 0; i < 4; i++) assertThat(permits.tryAcquire(Priority.URGENT)).isTrue();
        assertThat(permits.tryAcquire(Priority.URGENT)).isFalse();
        permits.release(Priority.URGENT);
        permits.release(Priority.URGENT);
        permits.release(Priority.URGENT);
        assertThat(permits.tryAcquire(Priority.BATCH)).as("1 of 4 in flight = the batch ceiling").isFalse();
        permits.release(Priority.URGENT);
        assertThat(permits.tryAcquire(Priority.BATCH)).isTrue();
        assertThat(permits.inFlight(Priority.URGENT)).isZero();
    }

    @Test
    void shouldRejectSharesThatWouldStarveUrgentOrInvertPriorities() {
        assertThatThrownBy(() -> new DispatchPermits(0)).hasMessageContaining("max in-flight");
        assertThatThrownBy(() -> new DispatchPermits(10, 0.5, 0.8)).hasMessageContaining("batch share");
        assertThatThrownBy(() -> new DispatchPermits(10, 1.5, 0.5)).hasMessageContaining("normal share");
    }
}
