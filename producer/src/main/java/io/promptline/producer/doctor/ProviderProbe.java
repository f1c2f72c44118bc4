package io.promptline.producer.doctor;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A one-token call to a provider, in the dialect the processor speaks to it (openai: any
 * OpenAI-compatible server; anthropic: the Messages API; azure: a deployment URL with its
 * api-version): its status, latency, whether the answer carries token usage (the processor bills
 * from it and fails a call without it), and which rate-limit headers it sends (the processor paces
 * to them; without them it learns the provider's capacity only from 429s).
 */
public final class ProviderProbe {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ProviderProbe() {
    }

    public static List<Finding> probe(String baseUrl, String api, String apiKey, String model, Duration timeout) {
        String area = "provider " + model;
        List<Finding> out = new ArrayList<>();
        HttpRequest request;
        try {
            request = request(baseUrl, api == null ? "openai" : api.toLowerCase(Locale.ROOT), apiKey, model, timeout);
        } catch (IllegalArgumentException e) {
            out.add(Finding.fail(area, "cannot build the call to " + baseUrl + ": " + e.getMessage()));
            return out;
        }
        long t0 = System.nanoTime();
        HttpResponse<String> r;
        try {
            r = HttpClient.newBuilder().connectTimeout(timeout).build().send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            out.add(Finding.fail(area, "cannot reach " + request.uri() + ": " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())));
            return out;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            out.add(Finding.fail(area, "interrupted"));
            return out;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (r.statusCode() / 100 != 2) {
            out.add(Finding.fail(area, "HTTP " + r.statusCode() + " in " + ms + " ms from " + request.uri() + ": " + abbreviate(r.body())));
            return out;
        }
        out.add(Finding.ok(area, "HTTP " + r.statusCode() + " in " + ms + " ms from " + request.uri()));
        out.add(usage(area, api, r.body()));
        List<String> limits = r.headers().map().keySet().stream().map(h -> h.toLowerCase(Locale.ROOT))
                .filter(h -> h.startsWith("x-ratelimit-") || h.startsWith("anthropic-ratelimit-") || h.equals("retry-after")).sorted().toList();
        out.add(limits.isEmpty()
                ? Finding.warn(area, "no rate-limit headers (x-ratelimit-*): the processor learns this provider's capacity only from 429s")
                : Finding.ok(area, "rate-limit headers: " + String.join(", ", limits)));
        return out;
    }

    private static Finding usage(String area, String api, String body) {
        JsonNode u;
        try {
            u = JSON.readTree(body).path("usage");
        } catch (IOException e) {
            return Finding.fail(area, "the answer is not JSON: " + abbreviate(body));
        }
        boolean anthropic = "anthropic".equalsIgnoreCase(api);
        String in = anthropic ? "input_tokens" : "prompt_tokens";
        String outTokens = anthropic ? "output_tokens" : "completion_tokens";
        if (!u.path(in).canConvertToLong() || !u.path(outTokens).canConvertToLong()) {
            return Finding.fail(area, "the answer has no usage." + in + "/" + outTokens + ": the processor cannot bill such a call and "
                    + "fails it (retried, then dead-lettered); use a server that reports usage");
        }
        return Finding.ok(area, "usage reported: " + u.path(in).asLong() + " in, " + u.path(outTokens).asLong() + " out");
    }

    private static HttpRequest request(String baseUrl, String api, String apiKey, String model, Duration timeout) {
        // Reasoning models take max_completion_tokens (as the processor sends them), the others max_tokens
        ObjectNode body = JSON.createObjectNode().put("model", model)
                .put(model.matches("(o[1-9]|gpt-5).*") && !"anthropic".equals(api) ? "max_completion_tokens" : "max_tokens", 1);
        body.putArray("messages").addObject().put("role", "user").put("content", "Reply with OK.");
        URI base = URI.create(baseUrl);
        String path = base.getRawPath() == null ? "" : base.getRawPath().replaceAll("/+$", "");
        HttpRequest.Builder b = HttpRequest.newBuilder().timeout(timeout).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
        switch (api) {
            case "openai" -> {
                b.uri(base.resolve(path + "/chat/completions"));
                if (apiKey != null) b.header("Authorization", "Bearer " + apiKey);
            }
            case "anthropic" -> {
                b.uri(base.resolve(path + "/messages")).header("anthropic-version", "2023-06-01");
                if (apiKey != null) b.header("x-api-key", apiKey);
            }
            case "azure" -> {
                if (base.getRawQuery() == null || !base.getRawQuery().contains("api-version=")) {
                    throw new IllegalArgumentException("an Azure deployment URL needs ?api-version=");
                }
                b.uri(URI.create(base.getScheme() + "://" + base.getRawAuthority() + path + "/chat/completions?" + base.getRawQuery()));
                if (apiKey != null) b.header("api-key", apiKey);
            }
            default -> throw new IllegalArgumentException("unknown API '" + api + "' (openai, anthropic or azure)");
        }
        return b.build();
    }

    private static String abbreviate(String s) {
        String one = s == null ? "" : s.replaceAll("\\s+", " ").trim();
        return one.length() > 200 ? one.substring(0, 200) + "..." : one;
    }
}
