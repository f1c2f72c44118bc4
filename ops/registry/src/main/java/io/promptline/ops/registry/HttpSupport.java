package io.promptline.ops.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RequestBody;
import io.vertx.ext.web.RoutingContext;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Request parsing and response writing shared by the REST handlers: content types, JSON bodies,
 * path parameters, and Confluent-style error bodies.
 */
final class HttpSupport {
    static final String V1_JSON = "application/vnd.schemaregistry.v1+json";
    static final String SR_JSON = "application/vnd.schemaregistry+json";
    static final String JSON = "application/json";

    private static final Logger LOG = LoggerFactory.getLogger(HttpSupport.class);
    private static final ObjectMapper MAPPER =
            new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final List<String> ACCEPTED_BODY_TYPES = List.of(V1_JSON, SR_JSON, JSON);

    /** A response whose body is sent as is rather than JSON-encoded. */
    record RawBody(String text) {}

    private HttpSupport() {}

    /** The request body text, after checking its content type (415 otherwise). */
    static String body(RoutingContext ctx) {
        String contentType = ctx.request().getHeader(HttpHeaders.CONTENT_TYPE);
        if (contentType != null && !contentType.isBlank()) {
            String mediaType = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
            if (!ACCEPTED_BODY_TYPES.contains(mediaType)) {
                throw new RegistryException(415, 415, "HTTP 415 Unsupported Media Type");
            }
        }
        RequestBody body = ctx.body();
        return body == null || body.isEmpty() ? "" : body.asString("UTF-8");
    }

    /** Parses a JSON object body: 422 / 42201 naming the problem when it is not one. */
    static JsonNode jsonObject(String body) {
        if (body == null || body.isBlank()) {
            throw new RegistryException(422, 42201, "Invalid request: the request body is empty");
        }
        JsonNode node;
        try {
            node = MAPPER.readTree(body);
        } catch (JsonProcessingException e) {
            throw new RegistryException(422, 42201,
                    "Invalid request: malformed JSON body: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new RegistryException(422, 42201, "Invalid request: the body must be a JSON object");
        }
        return node;
    }

    /**
     * Parses a register / lookup / compatibility request {@code {"schema":..[,"schemaType":..]}}
     * into an Avro schema: 422 / 42201 for anything this registry cannot accept.
     */
    static ParsedSchema schemaRequest(String body) {
        JsonNode request = jsonObject(body);
        JsonNode type = request.get("schemaType");
        if (type != null && !type.isNull()
                && !(type.isTextual() && "AVRO".equalsIgnoreCase(type.textValue()))) {
            throw new RegistryException(422, 42201, "Invalid schema type " + type.asText()
                    + ": this registry supports only AVRO");
        }
        JsonNode references = request.get("references");
        if (references != null && !references.isNull()
                && !(references.isArray() && references.isEmpty())) {
            throw new RegistryException(422, 42201,
                    "Invalid schema: schema references are not supported by this registry");
        }
        JsonNode schema = request.get("schema");
        if (schema == null || schema.isNull()) {
            throw RegistryException.invalidSchema("Empty schema");
        }
        if (!schema.isTextual()) {
            throw RegistryException.invalidSchema(schema + ", details: field 'schema' must be a string");
        }
        return ParsedSchema.parse(schema.textValue());
    }

    /** A version path parameter: a number in [1, 2^31-1], "latest" or -1 (latest); else 42202. */
    static int version(String text) {
        if ("latest".equalsIgnoreCase(text)) {
            return SchemaStore.LATEST;
        }
        try {
            int version = Integer.parseInt(text);
            if (version >= 1 || version == SchemaStore.LATEST) {
                return version;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw RegistryException.invalidVersion(text);
    }

    /** A schema id path parameter; anything but a positive integer cannot name a schema. */
    static int schemaId(String text) {
        try {
            int id = Integer.parseInt(text);
            if (id >= 1) {
                return id;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new RegistryException(404, 40403, "Schema " + text + " not found");
    }

    /** True when the query parameter is present as "true" (case-insensitive). */
    static boolean flag(RoutingContext ctx, String name) {
        return "true".equalsIgnoreCase(ctx.request().getParam(name));
    }

    /**
     * Runs {@code work} on a worker thread (it may parse schemas and force the log to disk) and
     * answers 200 with its result, or the error it throws.
     */
    static <T> void respond(RoutingContext ctx, Callable<T> work) {
        ctx.vertx().executeBlocking(work, false).onComplete(ar -> {
            if (ar.succeeded()) {
                send(ctx, 200, ar.result());
            } else {
                sendError(ctx, ar.cause());
            }
        });
    }

    /** Answers with an error body; unknown failures become 500. */
    static void sendError(RoutingContext ctx, Throwable failure) {
        RegistryException error;
        if (failure instanceof RegistryException e) {
            error = e;
        } else {
            LOG.error("Unexpected failure handling {} {}", ctx.request().method(),
                    ctx.request().path(), failure);
            error = new RegistryException(500, 500, "Internal server error: " + failure);
        }
        if (error.httpStatus() >= 500) {
            LOG.error("{} {} failed: {}", ctx.request().method(), ctx.request().path(),
                    error.getMessage(), error.getCause());
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error_code", error.errorCode());
        body.put("message", error.getMessage());
        send(ctx, error.httpStatus(), body);
    }

    /** Answers with a JSON body (or a {@link RawBody} as is) in the negotiated content type. */
    static void send(RoutingContext ctx, int status, Object body) {
        HttpServerResponse response = ctx.response();
        if (response.ended() || response.closed()) {
            return;
        }
        String text;
        try {
            text = body instanceof RawBody raw ? raw.text() : MAPPER.writeValueAsString(body);
        } catch (JsonProcessingException e) {
            status = 500;
            text = "{\"error_code\":500,\"message\":\"Cannot encode response\"}";
        }
        response.setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, responseType(ctx.request().getHeader("Accept")))
                .end(text);
    }

    /**
     * The response content type for an Accept header: the registry's v1 type unless the client
     * accepts only the generic registry type or plain JSON.
     */
    static String responseType(String accept) {
        if (accept == null || accept.isBlank()) {
            return V1_JSON;
        }
        String lower = accept.toLowerCase(Locale.ROOT);
        if (lower.contains(V1_JSON) || lower.contains("*/*") || lower.contains("application/*")) {
            return V1_JSON;
        }
        if (lower.contains(SR_JSON)) {
            return SR_JSON;
        }
        return lower.contains(JSON) ? JSON : V1_JSON;
    }
}
