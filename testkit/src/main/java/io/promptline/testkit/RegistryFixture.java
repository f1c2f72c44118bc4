package io.promptline.testkit;

import io.promptline.ops.registry.RegistryConfig;
import io.promptline.ops.registry.SchemaRegistryServer;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.serde.PromptlineSerdes;

/** A Schema Registry server (Confluent REST subset) for one test class, in memory. */
public final class RegistryFixture extends ClassFixture<RegistryFixture> {
    private final String basicAuthUserInfo;
    private SchemaRegistryServer server;

    public RegistryFixture() {
        this(null);
    }

    /** @param basicAuthUserInfo {@code user:password} every request must present, or null for an open registry */
    public RegistryFixture(String basicAuthUserInfo) {
        this.basicAuthUserInfo = basicAuthUserInfo;
    }

    @Override
    public RegistryFixture start() {
        if (server == null) server = SchemaRegistryServer.start(RegistryConfig.builder().basicAuth(basicAuthUserInfo).build());
        return this;
    }

    @Override
    public void close() {
        if (server != null) server.close();
        server = null;
    }

    public String url() {
        return server.url();
    }

    /** A new client (own cache) and the serdes of every Promptline type over it. */
    public PromptlineSerdes serdes() {
        return PromptlineSerdes.create(new RestSchemaRegistryClient(url(), basicAuthUserInfo, java.time.Duration.ofSeconds(10)), true);
    }
}
