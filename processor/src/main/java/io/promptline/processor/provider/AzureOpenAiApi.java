package io.promptline.processor.provider;

import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpRequest;

import java.net.URI;

/**
 * Azure OpenAI: a deployment's URL with its {@code api-version} as the base URL
 * ({@code https://RESOURCE.openai.azure.com/openai/deployments/DEPLOYMENT?api-version=2024-10-21}),
 * {@code /chat/completions} added to its path with the query kept, the key in an {@code api-key}
 * header; bodies, answers (its {@code content_filter} refusals included), errors and
 * {@code x-ratelimit-*} headers are OpenAI's.
 */
final class AzureOpenAiApi extends OpenAiApi {
    static final AzureOpenAiApi INSTANCE = new AzureOpenAiApi();

    @Override
    public String name() {
        return "azure";
    }

    @Override
    public void check(URI baseUrl) {
        String query = baseUrl.getRawQuery();
        if (query == null || !("&" + query).contains("&api-version=")) {
            throw new IllegalArgumentException("an Azure OpenAI base URL needs its api-version, e.g. "
                    + "https://RESOURCE.openai.azure.com/openai/deployments/DEPLOYMENT?api-version=2024-10-21; was " + baseUrl);
        }
    }

    @Override
    public void authenticate(HttpRequest<Buffer> request, String apiKey) {
        if (apiKey != null && !apiKey.isEmpty()) request.putHeader("api-key", apiKey);
    }
}
