package io.promptline.processor.provider;

import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;

import java.net.URI;
import java.time.Clock;
import java.util.List;
import java.util.Locale;

/**
 * A provider's HTTP dialect for a chat call, mapped by hand on the non-blocking path: where the
 * call goes, how it logs in, the request body, and what the answer means in the common model
 * (content, finish reason, usage with cached, cache-write and reasoning tokens, error category,
 * endpoint fault, Retry-After and exhausted rate-limit windows). One per endpoint
 * ({@code promptline.llm.api}, or {@code "api"} of a deployment).
 */
public interface ProviderApi {
    /** The names {@link #of} knows. */
    List<String> NAMES = List.of("openai", "azure", "anthropic");

    String name();

    /** Throws, naming what is wrong, when {@code baseUrl} cannot be this API's (e.g. Azure without api-version). */
    default void check(URI baseUrl) {
    }

    /** The URL of a chat call: the base URL's path with this API's suffix, its query string kept. */
    URI target(URI baseUrl);

    /** Adds the credentials (never logged) and the API's fixed headers. */
    void authenticate(HttpRequest<Buffer> request, String apiKey);

    JsonObject body(ChatCall call);

    /** What an answer means: {@code json} is null when the body is not JSON. */
    CallOutcome outcome(int status, JsonObject json, MultiMap headers, String provider, String model, long latencyMs, Clock clock);

    /** Asks for the answer as a stream of server-sent events (OpenAI's form: with the usage in a last chunk). */
    default JsonObject streamed(JsonObject body) {
        return body.put("stream", true).put("stream_options", new JsonObject().put("include_usage", true));
    }

    /** Reads this API's stream back into its pieces and its whole answer. */
    default StreamAssembler streamAssembler() {
        return new OpenAiStream();
    }

    static ProviderApi of(String name) {
        return switch (name == null ? "openai" : name.toLowerCase(Locale.ROOT)) {
            case "openai" -> OpenAiApi.INSTANCE;
            case "azure" -> AzureOpenAiApi.INSTANCE;
            case "anthropic" -> AnthropicApi.INSTANCE;
            default -> throw new IllegalArgumentException("unknown provider API '" + name + "'; known: " + String.join(", ", NAMES));
        };
    }

    /** {@code base}'s path plus {@code suffix}, its query string kept. */
    static URI append(URI base, String suffix) {
        String path = base.getRawPath() == null ? "" : base.getRawPath();
        if (path.endsWith("/")) path = path.substring(0, path.length() - 1);
        String query = base.getRawQuery() == null ? "" : "?" + base.getRawQuery();
        return URI.create(base.getScheme() + "://" + base.getRawAuthority() + path + suffix + query);
    }
}
