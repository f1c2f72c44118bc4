package io.promptline.sink.alerts;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.promptline.runtime.Threads;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A Slack-compatible incoming webhook: a message is posted, and tried again twice with backoff
 * (0.5 s, 2 s) when the hook fails or cannot be reached. The URL is a secret and never logged; a
 * message not delivered is logged whole at ERROR and counted.
 */
public final class Webhook {
    private static final Logger log = LoggerFactory.getLogger(Webhook.class);
    private static final int ATTEMPTS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final URI url;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final AtomicLong posted = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    public Webhook(URI url) {
        this.url = url;
    }

    /**
     * Slack's incoming-webhook JSON (which Mattermost, Teams connectors and most chat tools accept):
     * {@code text} for every client, and a {@code blocks} section in mrkdwn for richer ones.
     */
    public static String slackJson(String text, String mrkdwn) {
        ObjectNode body = JSON.createObjectNode().put("text", text);
        body.putArray("blocks").addObject().put("type", "section").putObject("text").put("type", "mrkdwn").put("text", mrkdwn);
        return body.toString();
    }

    /** Messages delivered since start. */
    public long posted() {
        return posted.get();
    }

    /** Messages given up on since start. */
    public long failed() {
        return failed.get();
    }

    /**
     * Posts {@code json}; true once the hook answered 2xx.
     *
     * @param what names the message in log lines
     * @param text the message's plain text, logged if it cannot be delivered
     */
    public boolean post(String what, String json, String text) {
        HttpRequest req = HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(10)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build();
        long backoff = 500;
        for (int attempt = 1; attempt <= ATTEMPTS; attempt++) {
            try {
                int status = http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
                if (status / 100 == 2) {
                    posted.incrementAndGet();
                    log.info("Posted {} to the webhook", what);
                    return true;
                }
                log.warn("Webhook answered HTTP {} for {} (attempt {}/{})", status, what, attempt, ATTEMPTS);
            } catch (IOException e) {
                log.warn("Webhook unreachable for {} (attempt {}/{}): {}", what, attempt, ATTEMPTS, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (attempt < ATTEMPTS) {
                Threads.sleep(backoff);
                backoff *= 4;
            }
        }
        failed.incrementAndGet();
        log.error("{} not delivered to the webhook after {} attempts: {}", what, ATTEMPTS, text);
        return false;
    }
}
