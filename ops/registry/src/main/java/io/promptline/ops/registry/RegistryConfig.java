package io.promptline.ops.registry;

import java.nio.file.Path;
import java.util.Objects;

/** Immutable configuration of a {@link SchemaRegistryServer}; build with {@link #builder()}. */
public final class RegistryConfig {
    public static final String DEFAULT_HOST = "127.0.0.1";
    public static final int DEFAULT_PORT = 0;
    public static final CompatibilityLevel DEFAULT_COMPATIBILITY = CompatibilityLevel.BACKWARD;

    private final String host;
    private final int port;
    private final Path dataDir;
    private final CompatibilityLevel defaultCompatibility;
    private final String basicAuthUserInfo;
    private final Path tlsKeyStore;
    private final String tlsKeyStorePassword;

    private RegistryConfig(Builder b) {
        if (b.host == null || b.host.isBlank()) {
            throw new IllegalArgumentException("host must not be blank");
        }
        if (b.port < 0 || b.port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], was " + b.port);
        }
        this.host = b.host.trim();
        this.port = b.port;
        this.dataDir = b.dataDir;
        this.defaultCompatibility =
                Objects.requireNonNull(b.defaultCompatibility, "defaultCompatibility");
        if (b.basicAuthUserInfo != null && !b.basicAuthUserInfo.contains(":")) {
            throw new IllegalArgumentException("basic auth needs user:password");
        }
        this.basicAuthUserInfo = b.basicAuthUserInfo;
        this.tlsKeyStore = b.tlsKeyStore;
        this.tlsKeyStorePassword = b.tlsKeyStorePassword;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** In-memory registry on an ephemeral port of 127.0.0.1 with BACKWARD compatibility. */
    public static RegistryConfig defaults() {
        return builder().build();
    }

    public Builder toBuilder() {
        return new Builder().host(host).port(port).dataDir(dataDir)
                .defaultCompatibility(defaultCompatibility).basicAuth(basicAuthUserInfo).tls(tlsKeyStore, tlsKeyStorePassword);
    }

    /** The PKCS12 keystore of the server's certificate and key when it serves HTTPS, else null (HTTP). */
    public Path tlsKeyStore() {
        return tlsKeyStore;
    }

    /** The password of {@link #tlsKeyStore()}; never logged. */
    public String tlsKeyStorePassword() {
        return tlsKeyStorePassword;
    }

    /** {@code user:password} every request must present with HTTP basic auth, or null for none; never logged. */
    public String basicAuthUserInfo() {
        return basicAuthUserInfo;
    }

    /** Interface to listen on; default 127.0.0.1. */
    public String host() {
        return host;
    }

    /** Port to listen on; 0 (the default) picks an ephemeral port. */
    public int port() {
        return port;
    }

    /** Directory holding the durable log, or null to keep state in memory only. */
    public Path dataDir() {
        return dataDir;
    }

    /** Global compatibility level until one is set through {@code PUT /config}. */
    public CompatibilityLevel defaultCompatibility() {
        return defaultCompatibility;
    }

    @Override
    public String toString() {
        return "RegistryConfig{host=" + host + ", port=" + port + ", dataDir=" + dataDir
                + ", defaultCompatibility=" + defaultCompatibility + ", basicAuth=" + (basicAuthUserInfo != null) + ", tls=" + (tlsKeyStore != null) + "}";
    }

    /** Builder of {@link RegistryConfig}. */
    public static final class Builder {
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private Path dataDir;
        private CompatibilityLevel defaultCompatibility = DEFAULT_COMPATIBILITY;
        private String basicAuthUserInfo;
        private Path tlsKeyStore;
        private String tlsKeyStorePassword;

        private Builder() {}

        /** Serves HTTPS with the certificate and key in a PKCS12 keystore; null for plain HTTP. */
        public Builder tls(Path pkcs12, String password) {
            this.tlsKeyStore = pkcs12;
            this.tlsKeyStorePassword = password;
            return this;
        }

        /** Requires HTTP basic auth with {@code user:password} on every request (401 otherwise); null for none. */
        public Builder basicAuth(String userInfo) {
            this.basicAuthUserInfo = userInfo;
            return this;
        }

        public Builder host(String host) {
            this.host = host;
            return this;
        }

        public Builder port(int port) {
            this.port = port;
            return this;
        }

        public Builder dataDir(Path dataDir) {
            this.dataDir = dataDir;
            return this;
        }

        public Builder defaultCompatibility(CompatibilityLevel level) {
            this.defaultCompatibility = level;
            return this;
        }

        public RegistryConfig build() {
            return new RegistryConfig(this);
        }
    }
}
