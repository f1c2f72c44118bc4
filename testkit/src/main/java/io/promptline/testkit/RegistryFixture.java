package io.promptline.testkit;

import io.promptline.ops.registry.RegistryConfig;
import io.promptline.ops.registry.SchemaRegistryServer;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.serde.PromptlineSerdes;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** A Schema Registry server (Confluent REST subset) for one test class, in memory. */
public final class RegistryFixture implements BeforeAllCallback, AfterAllCallback {
    private SchemaRegistryServer server;

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    public RegistryFixture start() {
        if (server == null) server = SchemaRegistryServer.start(RegistryConfig.builder().build());
        return this;
    }

    public void close() {
        if (server != null) server.close();
        server = null;
    }

    public String url() {
        return server.url();
    }

    /** A new client (own cache) and the serdes of every Promptline type over it. */
    public PromptlineSerdes serdes() {
        return PromptlineSerdes.create(new RestSchemaRegistryClient(url()), true);
    }
}
