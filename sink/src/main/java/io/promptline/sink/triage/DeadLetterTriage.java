package io.promptline.sink.triage;

import io.micrometer.core.instrument.MeterRegistry;
import io.promptline.avro.DeadLetter;
import io.promptline.avro.PromptRequest;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.requests.TenantProof;
import io.promptline.sink.alerts.DeadLetterFeed;
import io.promptline.sink.alerts.Webhook;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Triage of dead letters through Promptline itself. It follows the DLQ ({@link DeadLetterFeed}, its
 * own group); the first dead letter of each {@link DeadLetterPattern} is published as an urgent
 * {@link TriageRequest} of the triage tenant (acknowledged before the pattern's row is written, so a
 * crash between the two publishes the same request_id again, which the processor calls once), and
 * later ones only count in the row. The triage tenant's own dead letters are never triaged (no
 * loop). After each poll, pending patterns whose request has ended in the sink's tables are closed:
 * triaged with severity, root cause and action, unreadable (the answer is not the schema's), or
 * failed (dead-lettered) — and each is posted to the alert webhook when one is set.
 * Counted: {@code promptline_triage_patterns_total}, {@code promptline_triage_outcomes_total{status}}.
 */
public final class DeadLetterTriage implements Runnable, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DeadLetterTriage.class);
    private static final long ANSWERS_EVERY_MS = 1_000;

    /**
     * @param tenant the tenant whose urgent requests the triage is (its quota and budget apply, its costs are counted)
     * @param model  a small model with a price (the request names it: no routing)
     * @param secret the tenant's proof secret when the processor checks tenants, else null
     */
    public record Settings(String tenant, String model, byte[] secret) {
    }

    private final DeadLetterFeed feed;
    private final KafkaProducer<String, byte[]> producer;
    private final Serializer<PromptRequest> serializer;
    private final Topics topics;
    private final TriageStore store;
    private final Settings settings;
    private final Webhook webhook;
    private final Clock clock;
    private final MeterRegistry meters;
    private long answersCheckedAt;

    /** @param webhook where each triage is posted, or null */
    public DeadLetterTriage(Map<String, Object> kafka, String groupId, Topics topics, SchemaRegistryClient registry,
                            Serializer<PromptRequest> serializer, DataSource db, Settings settings, Webhook webhook, Clock clock,
                            MeterRegistry meters) {
        this.feed = new DeadLetterFeed(kafka, groupId, topics.dlq(), registry, "triage");
        Map<String, Object> p = new HashMap<>(kafka);
        p.remove("auto.offset.reset");
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, groupId + "-requests");
        this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        this.serializer = serializer;
        this.topics = topics;
        this.store = new TriageStore(db);
        this.settings = settings;
        this.webhook = webhook;
        this.clock = clock;
        this.meters = meters;
    }

    @Override
    public void run() {
        try {
            follow();
        } finally {
            producer.close(Duration.ofSeconds(5));
        }
    }

    private void follow() {
        feed.run(new DeadLetterFeed.Handler() {
            @Override
            public void accept(DeadLetter d) throws Exception {
                triage(d);
            }

            @Override
            public void afterPoll() throws SQLException {
                long now = clock.millis();
                if (now - answersCheckedAt < ANSWERS_EVERY_MS) return;
                answersCheckedAt = now;
                for (TriageStore.Ended e : store.ended()) close(e);
            }
        });
    }

    private void triage(DeadLetter d) throws Exception {
        if (settings.tenant().equals(d.getTenant())) return; // a triage request of ours: its row is closed from the tables
        DeadLetterPattern p = DeadLetterPattern.of(d);
        String requestId = TriageRequest.requestId(p);
        if (!store.known(p.id())) {
            PromptRequest request = TriageRequest.of(p, d, settings.tenant(), settings.model(), clock.instant());
            String topic = topics.requests(request.getPriority());
            byte[] value = serializer.serialize(topic, request);
            ProducerRecord<String, byte[]> record = new ProducerRecord<>(topic, request.getTenant(), value);
            if (settings.secret() != null) record.headers().add(TenantProof.HEADER, TenantProof.sign(settings.secret(), topic, value));
            producer.send(record).get(30, TimeUnit.SECONDS);
            meters.counter("promptline_triage_patterns_total").increment();
            log.info("New dead-letter pattern {} ({}, HTTP {}): triage asked as {}", p.id(), p.category(), p.httpStatus(), requestId);
        }
        store.count(p, d, requestId, clock.instant());
    }

    private void close(TriageStore.Ended e) throws SQLException {
        TriageAnswer answer = null;
        String status;
        String detail = null;
        if (e.failure() != null) {
            status = "failed";
            detail = "the triage request was dead-lettered: " + e.failure();
        } else {
            try {
                answer = TriageAnswer.parse(e.content());
                status = "triaged";
            } catch (IllegalArgumentException unreadable) {
                status = "unreadable";
                detail = unreadable.getMessage() + "; the answer: " + e.content();
            }
        }
        store.close(e, status, answer, detail, clock.instant());
        meters.counter("promptline_triage_outcomes_total", "status", status).increment();
        log.info("Dead-letter pattern {} {}{}", e.pattern(), status, answer == null ? ": " + detail : ": " + answer.severity());
        if (webhook != null) {
            String text = text(e, answer, detail);
            webhook.post("triage of dead-letter pattern " + e.pattern(), Webhook.slackJson(text, text), text);
        }
    }

    static String text(TriageStore.Ended e, TriageAnswer answer, String detail) {
        String head = "Promptline triage: new dead-letter pattern " + e.category() + (e.httpStatus() == null ? "" : " (HTTP " + e.httpStatus() + ")")
                + ", " + e.occurrences() + " so far";
        String body = answer == null ? "\nNo triage: " + detail
                : "\nSeverity: " + answer.severity() + "\nLikely root cause: " + answer.rootCause() + "\nSuggested action: " + answer.suggestedAction()
                + "\n(" + e.model() + ", request " + e.requestId() + ")";
        return head + body + "\nExample: " + e.example();
    }


    @Override
    public void close() {
        feed.close();
    }
}
