package io.promptline.processor;

import io.promptline.processor.config.ProcessorConfig;
import io.promptline.topics.Topics;

import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;

/** A processor in this JVM for integration tests: one tier, the simulator as provider, a short delay ladder; tests add what they vary. */
final class InProcess {
    private InProcess() {
    }

    static Map<String, Object> config(String bootstrap, String registryUrl, String llmBaseUrl, Topics topics, String applicationId,
                                      Path stateDir) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProcessorConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProcessorConfig.SCHEMA_REGISTRY_URL_CONFIG, registryUrl);
        p.put(ProcessorConfig.TOPICS_BASE_CONFIG, topics.base());
        p.put(ProcessorConfig.APPLICATION_ID_CONFIG, applicationId);
        p.put(ProcessorConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(ProcessorConfig.TIERS_CONFIG, "NORMAL");
        p.put(ProcessorConfig.METRICS_PORT_CONFIG, -1);
        p.put(ProcessorConfig.LLM_BASE_URL_CONFIG, llmBaseUrl);
        p.put(ProcessorConfig.LLM_PROVIDER_CONFIG, "simulator");
        p.put(ProcessorConfig.RETRY_DELAYS_CONFIG, "1s,5s,30s");
        p.put(ProcessorConfig.RETRY_BACKOFF_INITIAL_MS_CONFIG, 200L);
        p.put(ProcessorConfig.RATE_MAX_HOLD_MS_CONFIG, 5_000L);
        return p;
    }

    static ProcessorApp start(Map<String, Object> config) {
        ProcessorApp app = new ProcessorApp(new ProcessorConfig(config), Clock.systemUTC());
        app.start();
        return app;
    }
}
