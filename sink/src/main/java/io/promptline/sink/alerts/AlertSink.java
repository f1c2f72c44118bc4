package io.promptline.sink.alerts;

import io.promptline.avro.DeadLetter;
import io.promptline.registry.SchemaRegistryClient;

import java.net.URI;
import java.util.Map;

/**
 * Follows the DLQ (its own consumer group, from the latest record on first start) and posts the
 * alerts of an {@link AlertPolicy} to a webhook (Slack's incoming-webhook JSON, which Mattermost,
 * Teams connectors and most chat tools accept). A webhook that fails is retried a few times with
 * backoff; the URL is a secret and never logged.
 */
public final class AlertSink implements Runnable, AutoCloseable {
    private final DeadLetterFeed feed;
    private final AlertPolicy policy;
    private final Webhook webhook;

    public AlertSink(Map<String, Object> kafka, String groupId, String dlqTopic, SchemaRegistryClient registry, AlertPolicy policy,
                     URI webhook) {
        this.feed = new DeadLetterFeed(kafka, groupId, dlqTopic, registry, "alerting");
        this.policy = policy;
        this.webhook = new Webhook(webhook);
    }

    /** Alerts posted successfully since start. */
    public long posted() {
        return webhook.posted();
    }

    public long failed() {
        return webhook.failed();
    }

    @Override
    public void run() {
        feed.run(new DeadLetterFeed.Handler() {
            @Override
            public void accept(DeadLetter d) {
                policy.offer(d).forEach(AlertSink.this::post);
            }

            @Override
            public void afterPoll() {
                policy.tick().forEach(AlertSink.this::post);
            }
        });
    }

    private void post(Alert alert) {
        webhook.post("alert " + alert.key() + " (" + alert.count() + " dead letters)", alert.toSlackJson(), alert.text());
    }

    @Override
    public void close() {
        feed.close();
    }
}
