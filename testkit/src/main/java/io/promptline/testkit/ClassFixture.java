package io.promptline.testkit;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A server that lives as long as one test class: registered with {@code @RegisterExtension} on a
 * static field, it starts before the class's first test and closes after its last. Outside JUnit
 * (benchmarks, tools) call {@link #start()} and {@link #close()} yourself.
 */
abstract class ClassFixture<F extends ClassFixture<F>> implements BeforeAllCallback, AfterAllCallback {
    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) throws Exception {
        close();
    }

    /** Starts the server unless it runs already. */
    public abstract F start() throws Exception;

    /** Stops the server, if it runs. */
    public abstract void close() throws Exception;
}
