package io.promptline.ops.registry;

import static io.promptline.ops.registry.HttpSupport.respond;

import io.promptline.ops.registry.HttpSupport.RawBody;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The Confluent Schema Registry REST subset, mapped onto a {@link SchemaStore}. */
final class RegistryRoutes {
    private static final long BODY_LIMIT = 16L * 1024 * 1024;

    private final SchemaStore store;
    /** The Authorization header every request must carry, or null when the registry is open. */
    private final String expectedAuthorization;

    RegistryRoutes(SchemaStore store, String basicAuthUserInfo) {
        this.expectedAuthorization = basicAuthUserInfo == null ? null
                : "Basic " + java.util.Base64.getEncoder().encodeToString(basicAuthUserInfo.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        this.store = store;
    }

    /** Builds the router serving every endpoint. */
    Router router(Vertx vertx) {
        Router router = Router.router(vertx);
        if (expectedAuthorization != null) {
            router.route().handler(ctx -> {
                String given = ctx.request().getHeader("Authorization");
                if (given != null && java.security.MessageDigest.isEqual(given.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                        expectedAuthorization.getBytes(java.nio.charset.StandardCharsets.UTF_8))) {
                    ctx.next();
                } else {
                    ctx.response().setStatusCode(401).putHeader("WWW-Authenticate", "Basic realm=\"schema-registry\"")
                            .putHeader("Content-Type", "application/vnd.schemaregistry.v1+json")
                            .end("{\"error_code\":401,\"message\":\"Unauthorized\"}");
                }
            });
        }
        router.route().handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT));

        router.get("/").handler(ctx -> respond(ctx, Map::of));
        router.get("/schemas/types").handler(ctx -> respond(ctx, () -> List.of("AVRO")));
        router.get("/mode").handler(ctx -> respond(ctx, () -> Map.of("mode", "READWRITE")));

        router.get("/subjects").handler(ctx -> respond(ctx, store::subjects));
        router.post("/subjects/:subject/versions").handler(withBody(this::register));
        router.get("/subjects/:subject/versions")
                .handler(ctx -> respond(ctx, () -> store.versions(subject(ctx))));
        router.get("/subjects/:subject/versions/:version").handler(ctx -> {
            String subject = subject(ctx);
            String version = ctx.pathParam("version");
            respond(ctx, () -> versionBody(store.version(subject, HttpSupport.version(version))));
        });
        router.get("/subjects/:subject/versions/:version/schema").handler(ctx -> {
            String subject = subject(ctx);
            String version = ctx.pathParam("version");
            respond(ctx, () -> new RawBody(
                    store.version(subject, HttpSupport.version(version)).schema()));
        });
        router.post("/subjects/:subject").handler(withBody(this::lookup));
        router.delete("/subjects/:subject").handler(ctx -> {
            String subject = subject(ctx);
            boolean permanent = HttpSupport.flag(ctx, "permanent");
            respond(ctx, () -> store.deleteSubject(subject, permanent));
        });

        router.get("/schemas/ids/:id").handler(ctx -> {
            String id = ctx.pathParam("id");
            respond(ctx, () -> Map.of("schema", store.schemaById(HttpSupport.schemaId(id))));
        });
        router.get("/schemas/ids/:id/subjects").handler(ctx -> {
            String id = ctx.pathParam("id");
            respond(ctx, () -> store.versionsById(HttpSupport.schemaId(id)).stream()
                    .map(SchemaVersion::subject).distinct().toList());
        });
        router.get("/schemas/ids/:id/versions").handler(ctx -> {
            String id = ctx.pathParam("id");
            respond(ctx, () -> store.versionsById(HttpSupport.schemaId(id)).stream()
                    .map(v -> Map.of("subject", v.subject(), "version", v.version())).toList());
        });

        router.post("/compatibility/subjects/:subject/versions/:version")
                .handler(withBody(this::testCompatibility));
        router.post("/compatibility/subjects/:subject/versions")
                .handler(withBody(this::testCompatibility));

        router.get("/config").handler(ctx -> respond(ctx,
                () -> Map.of("compatibilityLevel", store.globalLevel().name())));
        router.put("/config").handler(withBody((ctx, body) -> respond(ctx, () -> {
            CompatibilityLevel level = level(body);
            store.setGlobalLevel(level);
            return Map.of("compatibility", level.name());
        })));
        router.get("/config/:subject").handler(this::getSubjectConfig);
        router.put("/config/:subject").handler(withBody((ctx, body) -> {
            String subject = subject(ctx);
            respond(ctx, () -> {
                CompatibilityLevel level = level(body);
                store.setSubjectLevel(subject, level);
                return Map.of("compatibility", level.name());
            });
        }));
        router.delete("/config/:subject").handler(ctx -> {
            String subject = subject(ctx);
            respond(ctx, () -> Map.of("compatibilityLevel", store.deleteSubjectLevel(subject).name()));
        });

        router.errorHandler(404, ctx -> HttpSupport.sendError(ctx,
                new RegistryException(404, 404, "HTTP 404 Not Found")));
        router.errorHandler(405, ctx -> HttpSupport.sendError(ctx,
                new RegistryException(405, 405, "HTTP 405 Method Not Allowed")));
        router.errorHandler(413, ctx -> HttpSupport.sendError(ctx,
                new RegistryException(413, 413, "HTTP 413 Request Entity Too Large")));
        router.errorHandler(500, ctx -> HttpSupport.sendError(ctx,
                ctx.failure() == null ? new RegistryException(500, 500, "Internal server error")
                        : ctx.failure()));
        return router;
    }

    private void register(RoutingContext ctx, String body) {
        String subject = subject(ctx);
        respond(ctx, () -> Map.of("id", store.register(subject, HttpSupport.schemaRequest(body))));
    }

    private void lookup(RoutingContext ctx, String body) {
        String subject = subject(ctx);
        respond(ctx, () -> versionBody(store.lookup(subject, HttpSupport.schemaRequest(body))));
    }

    private void testCompatibility(RoutingContext ctx, String body) {
        String subject = subject(ctx);
        String version = ctx.pathParam("version");
        boolean verbose = HttpSupport.flag(ctx, "verbose");
        respond(ctx, () -> {
            Integer versionId = version == null ? null : HttpSupport.version(version);
            ParsedSchema schema = HttpSupport.schemaRequest(body);
            List<String> messages = versionId == null
                    ? store.testCompatibility(subject, schema)
                    : store.testCompatibility(subject, versionId, schema);
            Map<String, Object> answer = new LinkedHashMap<>();
            answer.put("is_compatible", messages.isEmpty());
            if (verbose) {
                answer.put("messages", messages);
            }
            return answer;
        });
    }

    private void getSubjectConfig(RoutingContext ctx) {
        String subject = subject(ctx);
        boolean defaultToGlobal = HttpSupport.flag(ctx, "defaultToGlobal");
        respond(ctx, () -> {
            CompatibilityLevel level = store.subjectLevel(subject)
                    .orElseGet(() -> defaultToGlobal ? store.globalLevel() : null);
            if (level == null) {
                throw RegistryException.subjectLevelCompatibilityNotConfigured(subject);
            }
            return Map.of("compatibilityLevel", level.name());
        });
    }

    /** Reads {@code {"compatibility":"LEVEL"}}: 42203 for a missing or unknown level. */
    private static CompatibilityLevel level(String body) {
        var node = HttpSupport.jsonObject(body).get("compatibility");
        if (node == null || !node.isTextual()) {
            throw RegistryException.invalidCompatibilityLevel();
        }
        return CompatibilityLevel.parse(node.textValue())
                .orElseThrow(RegistryException::invalidCompatibilityLevel);
    }

    private static Map<String, Object> versionBody(SchemaVersion v) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("subject", v.subject());
        body.put("version", v.version());
        body.put("id", v.id());
        body.put("schema", v.schema());
        return body;
    }

    private static String subject(RoutingContext ctx) {
        return ctx.pathParam("subject");
    }

    /** A handler that first reads the body (checking its content type) on the event loop. */
    private static Handler<RoutingContext> withBody(BodyHandlerFn handler) {
        return ctx -> {
            String body;
            try {
                body = HttpSupport.body(ctx);
            } catch (RegistryException e) {
                HttpSupport.sendError(ctx, e);
                return;
            }
            handler.handle(ctx, body);
        };
    }

    @FunctionalInterface
    private interface BodyHandlerFn {
        void handle(RoutingContext ctx, String body);
    }
}
