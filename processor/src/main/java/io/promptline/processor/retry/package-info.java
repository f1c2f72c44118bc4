/**
 * The delay ladder: the retry policy (attempts, backoff, rungs), the headers a delayed record
 * carries, a task's way into the ladder ({@code Ladder}), and the {@code RetryRelay} that sends
 * records back to their tier when due. It does not decide what is retried.
 */
package io.promptline.processor.retry;
