package io.promptline.processor.provider;

import io.vertx.core.json.JsonObject;

/**
 * Reads a streamed answer's server-sent events in one API's terms: hands on the text each event
 * adds, and at the end rebuilds the body the API would have answered without streaming, so that
 * the API's own {@link ProviderApi#outcome} maps it (usage, tool calls, refusal, stop reason) as
 * for any call. Not thread-safe: one per call, fed in order.
 */
interface StreamAssembler {
    /** One event ({@code event} null when the stream names none); returns the answer's text it adds, "" if none. */
    String onEvent(String event, String data);

    /** The answer as one body, or null when the stream carried none (then the call failed). */
    JsonObject assembled();

    /** The HTTP status the assembled body stands for: 200, or the status of an error sent inside the stream. */
    int status();

    /** Why the answer stopped, in OpenAI's terms, once the stream said so (else null). */
    String finishReason();
}
