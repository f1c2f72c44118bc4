package io.promptline.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.avro.Schema;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import javax.net.ssl.SSLContext;

/**
 * Schema Registry client over the Confluent REST protocol, using the JDK HTTP client. Works
 * against a Confluent Schema Registry and against Promptline's own registry server alike.
 *
 * <p>Several base URLs may be given; a request that cannot reach one tries the next. Ids and
 * schemas are cached: a schema id never changes meaning, so look-ups by id hit the network
 * once per id per client.
 */
public final class RestSchemaRegistryClient implements SchemaRegistryClient {
    static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final List<String> urls;
    private final HttpClient http;
    private final Duration requestTimeout;
    private final String authorization;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, Integer> idsBySubjectSchema = new ConcurrentHashMap<>();

    private record SubjectSchema(String subject, Schema schema) { }

    /**
     * @param urls comma-separated base URLs, e.g. {@code http://localhost:8081}
     * @param basicAuthUserInfo {@code user:password} for HTTP basic auth, or null; never logged
     */
    public RestSchemaRegistryClient(String urls, String basicAuthUserInfo, Duration requestTimeout) {
        this(urls, basicAuthUserInfo, requestTimeout, null);
    }

    /** @param tls the trust of {@code https://} URLs ({@link TrustStores}), or null for the JVM's CAs */
    public RestSchemaRegistryClient(String urls, String basicAuthUserInfo, Duration requestTimeout, SSLContext tls) {
        this.urls = parseUrls(urls);
        this.requestTimeout = Objects.requireNonNull(requestTimeout, "requestTimeout");
        HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(requestTimeout);
        if (tls != null) b.sslContext(tls);
        this.http = b.build();
        this.authorization = basicAuthUserInfo == null || basicAuthUserInfo.isBlank() ? null
                : "Basic " + Base64.getEncoder().encodeToString(basicAuthUserInfo.getBytes(StandardCharsets.UTF_8));
    }

    public RestSchemaRegistryClient(String urls) {
        this(urls, null, Duration.ofSeconds(10));
    }

    static List<String> parseUrls(String urls) {
        if (urls == null || urls.isBlank()) {
            throw new IllegalArgumentException("schema.registry.url must be set, e.g. http://localhost:8081");
        }
        List<String> out = new ArrayList<>();
        for (String u : urls.split(",")) {
            String t = u.trim();
            if (t.isEmpty()) continue;
            if (!t.startsWith("http://") && !t.startsWith("https://")) {
                throw new IllegalArgumentException("schema.registry.url entry '" + t + "' must start with http:// or https://");
            }
            out.add(t.endsWith("/") ? t.substring(0, t.length() - 1) : t);
        }
        return List.copyOf(out);
    }

    @Override
    public List<String> urls() {
        return urls;
    }

    @Override
    public int register(String subject, Schema schema) {
        return idOf(subject, schema, "/subjects/" + enc(subject) + "/versions", "register schema under subject '" + subject + "'", reply -> {
            if (reply.status == 409) throw new RegistryException.IncompatibleSchema(subject, reply.message());
        });
    }

    @Override
    public int lookup(String subject, Schema schema) {
        return idOf(subject, schema, "/subjects/" + enc(subject), "look up schema under subject '" + subject + "'", reply -> {
            if (reply.errorCode() == 40401 || reply.errorCode() == 40403) throw new RegistryException.NotRegistered(subject, reply.errorCode());
        });
    }

    /** The id of a schema under a subject, from the cache or by POSTing it to {@code path}; {@code refusal} throws the typed errors. */
    private int idOf(String subject, Schema schema, String path, String what, Consumer<Reply> refusal) {
        SubjectSchema key = new SubjectSchema(subject, schema);
        Integer cached = idsBySubjectSchema.get(key);
        if (cached != null) return cached;
        Reply reply = send("POST", path, schemaBody(schema));
        refusal.accept(reply);
        int id = reply.requireOk(what).get("id").asInt();
        cache(key, id, schema);
        return id;
    }

    @Override
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) return cached;
        Reply reply = send("GET", "/schemas/ids/" + id, null);
        if (reply.errorCode() == 40403) {
            throw new RegistryException.UnknownSchemaId(id, reply.url);
        }
        JsonNode body = reply.requireOk("fetch schema id " + id);
        String type = body.path("schemaType").asText("AVRO");
        if (!"AVRO".equals(type)) {
            throw new RegistryException("Schema id " + id + " is of type " + type + "; Promptline reads only AVRO", -1);
        }
        Schema schema;
        try {
            schema = new Schema.Parser().parse(body.path("schema").asText());
        } catch (RuntimeException e) {
            throw new RegistryException("Schema id " + id + " from " + reply.url + " is not a valid Avro schema: " + e.getMessage(), e);
        }
        schemasById.putIfAbsent(id, schema);
        return schemasById.get(id);
    }

    @Override
    public boolean isCompatible(String subject, Schema schema) {
        Reply reply = send("POST", "/compatibility/subjects/" + enc(subject) + "/versions/latest", schemaBody(schema));
        if (reply.errorCode() == 40401) return true; // nothing registered yet: anything is compatible
        return reply.requireOk("check compatibility for subject '" + subject + "'").get("is_compatible").asBoolean();
    }

    @Override
    public List<String> subjects() {
        JsonNode body = send("GET", "/subjects", null).requireOk("list subjects");
        List<String> out = new ArrayList<>();
        body.forEach(n -> out.add(n.asText()));
        return out;
    }

    private void cache(SubjectSchema key, int id, Schema schema) {
        idsBySubjectSchema.put(key, id);
        schemasById.putIfAbsent(id, schema);
    }

    private static String schemaBody(Schema schema) {
        ObjectNode body = JSON.createObjectNode();
        body.put("schema", schema.toString());
        return body.toString();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private Reply send(String method, String path, String body) {
        IOException last = null;
        for (String base : urls) {
            HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                    .timeout(requestTimeout)
                    .header("Accept", CONTENT_TYPE + ", application/json")
                    .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                            : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
            if (body != null) b.header("Content-Type", CONTENT_TYPE);
            if (authorization != null) b.header("Authorization", authorization);
            try {
                HttpResponse<String> resp = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
                return new Reply(base, resp.statusCode(), parse(resp.body()));
            } catch (IOException e) {
                last = e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new RegistryException("Interrupted while calling schema registry at " + base, e);
            }
        }
        throw new RegistryException.Unreachable(String.join(",", urls), last);
    }

    private static JsonNode parse(String body) {
        if (body == null || body.isBlank()) return JSON.nullNode();
        try {
            return JSON.readTree(body);
        } catch (IOException e) {
            return JSON.getNodeFactory().textNode(body);
        }
    }

    private record Reply(String url, int status, JsonNode body) {
        int errorCode() {
            return body.path("error_code").asInt(status >= 400 ? status : 0);
        }

        String message() {
            return body.path("message").asText(body.toString());
        }

        JsonNode requireOk(String action) {
            if (status / 100 == 2) return body;
            String hint = status == 401 || status == 403 ? " (credentials: schema.registry.basic.auth.user.info, env "
                    + "PROMPTLINE_SCHEMA_REGISTRY_BASIC_AUTH_USER_INFO or ..._FILE)" : "";
            throw new RegistryException("Schema registry at " + url + " refused to " + action
                    + ": HTTP " + status + ", error_code " + errorCode() + ": " + message() + hint, errorCode());
        }
    }
}
