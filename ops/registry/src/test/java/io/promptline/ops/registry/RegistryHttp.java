package io.promptline.ops.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/** A minimal HTTP client for the tests, observing what any registry client would. */
final class RegistryHttp {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final String V1 = "application/vnd.schemaregistry.v1+json";

    private static final HttpClient CLIENT =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final String baseUrl;

    RegistryHttp(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    RegistryHttp(SchemaRegistryServer server) {
        this(server.url());
    }

    /** A response with its JSON body parsed when it is JSON. */
    record Response(int status, String contentType, String body) {
        JsonNode json() {
            try {
                return MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        int errorCode() {
            return json().get("error_code").intValue();
        }

        String message() {
            return json().get("message").textValue();
        }
    }

    Response get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET(), null);
    }

    Response delete(String path) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE(), null);
    }

    Response post(String path, String json) {
        return send(HttpRequest.newBuilder(uri(path))
                .POST(HttpRequest.BodyPublishers.ofString(json)), V1);
    }

    Response put(String path, String json) {
        return send(HttpRequest.newBuilder(uri(path))
                .PUT(HttpRequest.BodyPublishers.ofString(json)), V1);
    }

    Response post(String path, String json, String contentType) {
        return send(HttpRequest.newBuilder(uri(path))
                .POST(HttpRequest.BodyPublishers.ofString(json)), contentType);
    }

    /** POST /subjects/{s}/versions; returns the response. */
    Response register(String subject, String schema) {
        return post("/subjects/" + subject + "/versions", schemaBody(schema));
    }

    /** Registers and asserts success; returns the id. */
    int registerOk(String subject, String schema) {
        Response r = register(subject, schema);
        if (r.status() != 200) {
            throw new AssertionError("register " + subject + " failed: " + r.status() + " " + r.body());
        }
        return r.json().get("id").intValue();
    }

    Response setCompatibility(String subject, String level) {
        String path = subject == null ? "/config" : "/config/" + subject;
        return put(path, json(Map.of("compatibility", level)));
    }

    static String schemaBody(String schema) {
        return json(Map.of("schema", schema));
    }

    static String json(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private URI uri(String path) {
        return URI.create(baseUrl + path);
    }

    private static Response send(HttpRequest.Builder builder, String contentType) {
        if (contentType != null) {
            builder.header("Content-Type", contentType);
        }
        builder.timeout(Duration.ofSeconds(20));
        try {
            HttpResponse<String> response =
                    CLIENT.send(builder.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(),
                    response.headers().firstValue("Content-Type").orElse(null), response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
