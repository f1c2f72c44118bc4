package io.promptline.testkit;

import io.promptline.ops.simulator.LlmSimulator;
import io.promptline.ops.simulator.SimulatorConfig;

/** The OpenAI-compatible LLM simulator, a real HTTP server, for one test class. */
public final class SimulatorFixture extends ClassFixture<SimulatorFixture> {
    private final SimulatorConfig config;
    private LlmSimulator simulator;

    public SimulatorFixture(SimulatorConfig config) {
        this.config = config;
    }

    public SimulatorFixture() {
        this(SimulatorConfig.builder().latency("fixed:20").build());
    }

    @Override
    public SimulatorFixture start() {
        if (simulator == null) {
            simulator = new LlmSimulator(config);
            simulator.start();
        }
        return this;
    }

    @Override
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
