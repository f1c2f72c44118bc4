/**
 * The client library applications use: {@code PromptlineProducer} publishes {@code Prompt}s to the
 * tier topics and can await each one's {@code Outcome} (result or dead letter). Public API; it does
 * not know the processor or the sink.
 */
package io.promptline.producer;
