package io.promptline.sink;

import io.promptline.metrics.MetricsEndpoint;
import io.promptline.runtime.Health;
import io.promptline.runtime.Supervisor;
import io.promptline.runtime.Threads;
import io.promptline.sink.alerts.AlertSink;
import io.promptline.sink.config.SinkConfig;
import io.promptline.sink.postgres.PostgresSink;
import io.promptline.sink.triage.DeadLetterTriage;
import io.promptline.sink.rollup.CostRollupApp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * One sink JVM: the PostgreSQL writer, the cost roll-up (Kafka Streams), the alerter (when a
 * webhook is set) and the dead-letter triage (when enabled), each a part of the process's health. A part that cannot go on makes the process
 * not live and is reported to {@code onDeath} (the main exits non-zero so it is restarted).
 */
public final class SinkApp implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SinkApp.class);

    private final SinkConfig config;
    private final PostgresSink sink;
    private final CostRollupApp rollup;
    private final AlertSink alerts;
    private final DeadLetterTriage triage;
    private final Supervisor supervisor;
    private Thread worker;
    private Thread alerter;
    private Thread triager;
    private MetricsEndpoint endpoint;

    /** @param onDeath told when a part of the sink cannot go on */
    public SinkApp(SinkConfig config, DataSource db, Consumer<String> onDeath) {
        this.config = config;
        this.sink = SinkMain.create(config, db);
        this.rollup = config.rollupEnabled() ? new CostRollupApp(config, onDeath) : null;
        this.alerts = SinkMain.alertSink(config);
        this.triage = SinkMain.triage(config, db, sink.meters());
        this.supervisor = new Supervisor(new Health(), onDeath);
        if (rollup != null) supervisor.health().add(rollup);
    }

    public void start() {
        if (config.metricsPort() >= 0) {
            endpoint = MetricsEndpoint.start(sink.meters(), config.metricsHost(), config.metricsPort(), supervisor.health());
        }
        if (rollup != null) rollup.start();
        if (alerts != null) alerter = supervisor.start("alert sink", alerts, () -> true);
        if (triage != null) triager = supervisor.start("dead-letter triage", triage, () -> true);
        worker = supervisor.start("postgres sink", sink, sink::isWriting);
    }

    public Health health() {
        return supervisor.health();
    }

    public PostgresSink sink() {
        return sink;
    }

    /** Waits until the writer's thread ends (it runs until {@link #close}, or until it cannot go on). */
    public void awaitStop() throws InterruptedException {
        if (worker != null) worker.join();
    }

    @Override
    public void close() {
        supervisor.stopping();
        if (alerts != null) alerts.close();
        if (triage != null) triage.close();
        if (endpoint != null) endpoint.close();
        if (rollup != null) rollup.close();
        sink.close();
        // The alerter's last commit, so a restart does not alert again; the writer's last batch.
        if (alerter != null && !Threads.join(alerter, Duration.ofSeconds(10))) log.warn("The alert sink did not stop within 10 s");
        if (triager != null && !Threads.join(triager, Duration.ofSeconds(10))) log.warn("The dead-letter triage did not stop within 10 s");
        if (worker != null && !Threads.join(worker, Duration.ofSeconds(15))) log.warn("The PostgreSQL sink did not stop within 15 s");
    }
}
