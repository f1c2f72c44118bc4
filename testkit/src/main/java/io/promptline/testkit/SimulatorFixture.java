package io.promptline.testkit;

import io.promptline.ops.simulator.LlmSimulator;
import io.promptline.ops.simulator.SimulatorConfig;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

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

    /**
     * Makes {@code calls} chat calls (idempotency keys {@code warm-up-N}) so the simulator has served before the
     * test's own calls come. A cold simulator (class loading, its JIT) holds the first calls it receives for about
     * a second and then records their arrival all at once, where a provider already serving would have seen them
     * as they were sent: a test timing calls from the provider's side warms it first.
     */
    public void warmUp(int calls) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        for (int i = 0; i < calls; i++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/chat/completions"))
                    .header("Content-Type", "application/json").header("Idempotency-Key", "warm-up-" + i)
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"gpt-4.1\",\"messages\":[{\"role\":\"user\","
                            + "\"content\":\"warm up\"}],\"max_tokens\":5}")).build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) throw new IOException("simulator warm-up call answered " + r.statusCode() + ": " + r.body());
        }
    }

    public LlmSimulator simulator() {
        return simulator;
    }

    public String baseUrl() {
        return simulator.baseUrl();
    }
}
