package io.promptline.sink.alerts;

import java.time.Instant;

/**
 * One alert: what happened ({@code key}, e.g. {@code AUTHENTICATION} or {@code BUDGET_EXCEEDED|acme}),
 * how many dead letters it stands for, and an example.
 *
 * @param count    dead letters since the last alert of this key (the first included)
 * @param summary  true for a follow-up that only reports how many were suppressed
 */
public record Alert(String key, String category, String tenant, long count, String example, Instant since, Instant at, boolean summary) {


    /** The alert's text: a headline, and an example dead letter. */
    public String text() {
        return headline() + (example == null ? "" : "\nExample: " + example);
    }

    /** Slack-compatible incoming-webhook JSON: {@code text}, plus a {@code blocks} section for richer clients. */
    public String toSlackJson() {
        return Webhook.slackJson(text(), "*" + headline() + "*" + (example == null ? "" : "\n>" + example));
    }

    private String headline() {
        return summary
                ? String.format("Promptline: %d more %s dead letter%s since %s%s", count, category, count == 1 ? "" : "s", since,
                        tenant == null ? "" : " for tenant " + tenant)
                : String.format("Promptline: %s%s — %d dead letter%s since %s", category, tenant == null ? "" : " for tenant " + tenant,
                        count, count == 1 ? "" : "s", since);
    }
}
