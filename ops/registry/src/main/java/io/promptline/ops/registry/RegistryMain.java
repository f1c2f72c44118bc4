package io.promptline.ops.registry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the schema registry as a process. Environment:
 * {@code PROMPTLINE_REGISTRY_PORT} (default 8081), {@code PROMPTLINE_REGISTRY_HOST} (default
 * 127.0.0.1), {@code PROMPTLINE_REGISTRY_DATA_DIR} (unset: in memory only) and
 * {@code PROMPTLINE_REGISTRY_COMPATIBILITY} (initial global level, default BACKWARD) and
 * {@code PROMPTLINE_REGISTRY_BASIC_AUTH_USER_INFO} ({@code user:password} every request must
 * present; or {@code PROMPTLINE_REGISTRY_BASIC_AUTH_USER_INFO_FILE} naming a file holding it).
 */
public final class RegistryMain {
    public static final String ENV_PORT = "PROMPTLINE_REGISTRY_PORT";
    public static final String ENV_HOST = "PROMPTLINE_REGISTRY_HOST";
    public static final String ENV_DATA_DIR = "PROMPTLINE_REGISTRY_DATA_DIR";
    public static final String ENV_COMPATIBILITY = "PROMPTLINE_REGISTRY_COMPATIBILITY";
    public static final String ENV_BASIC_AUTH = "PROMPTLINE_REGISTRY_BASIC_AUTH_USER_INFO";
    public static final int DEFAULT_PORT = 8081;

    private RegistryMain() {}

    public static void main(String[] args) throws InterruptedException {
        RegistryConfig config;
        try {
            config = configFromEnv(System.getenv());
        } catch (IllegalArgumentException e) {
            System.err.println("schema registry: " + e.getMessage());
            System.exit(2);
            return;
        }
        SchemaRegistryServer server;
        try {
            server = SchemaRegistryServer.start(config);
        } catch (RuntimeException e) {
            System.err.println("schema registry failed to start: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stopped.countDown();
        }, "registry-shutdown"));
        System.out.println("schema registry listening on " + server.url());
        System.out.flush();
        stopped.await();
    }

    /** The configuration the environment describes; invalid values throw with a message. */
    static RegistryConfig configFromEnv(Map<String, String> env) {
        RegistryConfig.Builder builder = RegistryConfig.builder().port(DEFAULT_PORT);
        String port = blankToNull(env.get(ENV_PORT));
        if (port != null) {
            try {
                builder.port(Integer.parseInt(port));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(ENV_PORT + " is not a port number: '" + port + "'");
            }
        }
        String host = blankToNull(env.get(ENV_HOST));
        if (host != null) {
            builder.host(host);
        }
        String dataDir = blankToNull(env.get(ENV_DATA_DIR));
        if (dataDir != null) {
            builder.dataDir(Path.of(dataDir));
        }
        String level = blankToNull(env.get(ENV_COMPATIBILITY));
        if (level != null) {
            builder.defaultCompatibility(CompatibilityLevel.parse(level).orElseThrow(
                    () -> new IllegalArgumentException(ENV_COMPATIBILITY + " is not a compatibility level: '"
                            + level + "'")));
        }
        String auth = blankToNull(env.get(ENV_BASIC_AUTH));
        String authFile = blankToNull(env.get(ENV_BASIC_AUTH + "_FILE"));
        if (auth == null && authFile != null) {
            try {
                auth = Files.readString(Path.of(authFile)).trim();
            } catch (IOException e) {
                throw new IllegalArgumentException(ENV_BASIC_AUTH + "_FILE: cannot read " + authFile + ": " + e.getMessage());
            }
        }
        builder.basicAuth(auth);
        return builder.build();
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }
}
