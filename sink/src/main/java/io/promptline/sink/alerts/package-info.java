/**
 * Alerts on dead letters: which deserve a person's attention and how often (deduplicated, sustained
 * failure), posted to a Slack-compatible webhook.
 */
package io.promptline.sink.alerts;
