package io.promptline.testkit;

import io.promptline.ops.simulator.LlmSimulator;
import io.promptline.ops.simulator.SimulatorConfig;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/** The OpenAI-compatible LLM simulator, a real HTTP server, for one test class. */
public final class SimulatorFixture implements BeforeAllCallback, AfterAllCallback {
    private final SimulatorConfig config;
    private LlmSimulator simulator;

    public SimulatorFixture(SimulatorConfig config) {
        this.config = config;
    }

    public SimulatorFixture() {
        this(SimulatorConfig.builder().latency("fixed:20").build());
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        start();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        close();
    }

    public SimulatorFixture start() {
        if (simulator == null) {
            simulator = new LlmSimulator(config);
            simulator.start();
        }
        return this;
    }

    public void close() {
        if (simulator != null) simulator.close();
        simulator = null;
    }

    public LlmSimulator simulator() {
        return simulator;
    }

    public String baseUrl() {
        return simulator.baseUrl();
    }
}
