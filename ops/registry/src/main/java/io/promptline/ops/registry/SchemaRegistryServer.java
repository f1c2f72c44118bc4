package io.promptline.ops.registry;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PfxOptions;
import java.util.Objects;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Schema Registry server speaking the Confluent REST protocol subset the project uses.
 *
 * <pre>{@code
 * try (SchemaRegistryServer registry = SchemaRegistryServer.start(RegistryConfig.defaults())) {
 *   String url = registry.url(); // http://127.0.0.1:PORT
 * }
 * }</pre>
 *
 * <p>{@link #start()} and {@link #close()} block (up to 30 s each step) and must not be called on
 * a Vert.x event-loop thread.
 */
public final class SchemaRegistryServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SchemaRegistryServer.class);
    private static final long TIMEOUT_SECONDS = 30;

    private final RegistryConfig config;
    private final boolean ownsVertx;
    private Vertx vertx;
    private SchemaStore store;
    private HttpServer server;
    private boolean started;

    /** A server that creates (and on close, closes) its own Vert.x instance. */
    public SchemaRegistryServer(RegistryConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.ownsVertx = true;
    }

    /** A server on an existing Vert.x instance, which it leaves open on close. */
    public SchemaRegistryServer(Vertx vertx, RegistryConfig config) {
        this.config = Objects.requireNonNull(config, "config");
        this.vertx = Objects.requireNonNull(vertx, "vertx");
        this.ownsVertx = false;
    }

    /** Creates a server on its own Vert.x instance and starts it. */
    public static SchemaRegistryServer start(RegistryConfig config) {
        return new SchemaRegistryServer(config).start();
    }

    /** Creates a server on an existing Vert.x instance and starts it. */
    public static SchemaRegistryServer start(Vertx vertx, RegistryConfig config) {
        return new SchemaRegistryServer(vertx, config).start();
    }

    /**
     * Opens the store (replaying the data directory's log) and listens; returns once listening.
     *
     * @throws RegistryStoreException when the data directory cannot be used (corrupt log: the
     *     message names the file and line)
     * @throws IllegalStateException when already started or the server cannot listen
     */
    public synchronized SchemaRegistryServer start() {
        if (started) {
            throw new IllegalStateException("schema registry already started");
        }
        if (Context.isOnEventLoopThread()) {
            throw new IllegalStateException("start() blocks and must not run on an event loop");
        }
        started = true;
        try {
            store = SchemaStore.open(config.dataDir(), config.defaultCompatibility());
            if (ownsVertx) {
                vertx = Vertx.vertx();
            }
            HttpServerOptions options = new HttpServerOptions().setHost(config.host()).setPort(config.port());
            if (config.tlsKeyStore() != null) {
                options.setSsl(true).setKeyCertOptions(new PfxOptions().setPath(config.tlsKeyStore().toString())
                        .setPassword(config.tlsKeyStorePassword()));
            }
            HttpServer created = vertx.createHttpServer(options);
            created.requestHandler(new RegistryRoutes(store, config.basicAuthUserInfo()).router(vertx));
            server = await(created.listen(), "listen on " + config.host() + ":" + config.port());
            LOG.info("Schema registry listening on {} (data dir {})", url(),
                    config.dataDir() == null ? "none, in memory" : config.dataDir());
            return this;
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /** The port actually listened on. */
    public synchronized int port() {
        if (server == null) {
            throw new IllegalStateException("schema registry is not running");
        }
        return server.actualPort();
    }

    /** The base URL clients use, e.g. {@code http://127.0.0.1:8081}. */
    public String url() {
        String host = config.host();
        if (host.equals("0.0.0.0") || host.equals("::") || host.equals("[::]")) {
            host = "127.0.0.1";
        } else if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return (config.tlsKeyStore() != null ? "https://" : "http://") + host + ":" + port();
    }

    public RegistryConfig config() {
        return config;
    }

    /** Stops listening, closes the store and, if owned, the Vert.x instance. Idempotent. */
    @Override
    public synchronized void close() {
        if (server != null) {
            try {
                await(server.close(), "close the HTTP server");
            } catch (RuntimeException e) {
                LOG.warn("Closing the schema registry HTTP server failed: {}", e.toString());
            }
            server = null;
        }
        if (store != null) {
            store.close();
            store = null;
        }
        if (ownsVertx && vertx != null) {
            try {
                await(vertx.close(), "close Vert.x");
            } catch (RuntimeException e) {
                LOG.warn("Closing the schema registry's Vert.x failed: {}", e.toString());
            }
            vertx = null;
        }
    }

    private static <T> T await(Future<T> future, String what) {
        try {
            return future.toCompletionStage().toCompletableFuture()
                    .get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting to " + what, e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("Cannot " + what + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("Timed out after " + TIMEOUT_SECONDS + " s waiting to "
                    + what, e);
        }
    }
}
