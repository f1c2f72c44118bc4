package io.promptline.runtime;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

class SupervisorTest {
    @Test
    void shouldMarkALoopThatFailsDeadAndReportIt() throws Exception {
        List<String> deaths = new CopyOnWriteArrayList<>();
        Supervisor supervisor = new Supervisor(new Health(), deaths::add);
        CountDownLatch go = new CountDownLatch(1);

        Thread t = supervisor.start("relay", () -> {
            try {
                go.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            throw new IllegalStateException("poison");
        }, () -> true);
        assertThat(supervisor.health().live()).isTrue();
        assertThat(supervisor.health().ready()).isTrue();

        go.countDown();
        assertThat(Threads.join(t, Duration.ofSeconds(5))).isTrue();
        assertThat(supervisor.health().live()).isFalse();
        assertThat(supervisor.health().report()).contains("relay: dead");
        assertThat(deaths).singleElement().asString().contains("relay failed").contains("poison");
    }

    @Test
    void shouldTreatALoopThatReturnsWhileRunningAsDeadButNotOneThatEndsOnStop() throws Exception {
        List<String> deaths = new CopyOnWriteArrayList<>();
        Supervisor supervisor = new Supervisor(new Health(), deaths::add);
        Thread quits = supervisor.start("quitter", () -> { }, () -> true);
        assertThat(Threads.join(quits, Duration.ofSeconds(5))).isTrue();
        assertThat(deaths).singleElement().asString().contains("quitter ended while the process runs");

        CountDownLatch stop = new CountDownLatch(1);
        Thread worker = supervisor.start("worker", () -> {
            try {
                stop.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, () -> true);
        supervisor.stopping();
        stop.countDown();
        assertThat(Threads.join(worker, Duration.ofSeconds(5))).isTrue();
        assertThat(deaths).hasSize(1);
    }
}
