package io.promptline.processor;

import io.vertx.core.Vertx;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** One Vert.x instance for a test class's HTTP clients, closed after its last test. */
final class VertxFixture implements BeforeAllCallback, AfterAllCallback {
    private Vertx vertx;

    @Override
    public void beforeAll(ExtensionContext context) {
        vertx = Vertx.vertx();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        vertx.close();
    }

    Vertx vertx() {
        return vertx;
    }
}
