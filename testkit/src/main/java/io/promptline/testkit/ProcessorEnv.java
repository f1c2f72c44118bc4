package io.promptline.testkit;

import io.promptline.topics.Topics;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The environment of a processor started in its own JVM by a test (ProcessorMain reads
 * PROMPTLINE_* variables): where Kafka, the registry and the LLM are, its topics and state, no
 * metrics port (several run on one host). Tests add what they vary.
 */
public final class ProcessorEnv {
    private ProcessorEnv() {
    }

    public static Map<String, String> of(String bootstrap, String registryUrl, String llmBaseUrl, Topics topics, String applicationId,
                                         Path stateDir) {
        Map<String, String> env = new HashMap<>();
        env.put("PROMPTLINE_BOOTSTRAP_SERVERS", bootstrap);
        env.put("PROMPTLINE_SCHEMA_REGISTRY_URL", registryUrl);
        env.put("PROMPTLINE_TOPICS_BASE", topics.base());
        env.put("PROMPTLINE_PROCESSOR_APPLICATION_ID", applicationId);
        env.put("PROMPTLINE_PROCESSOR_STATE_DIR", stateDir.toString());
        env.put("PROMPTLINE_METRICS_PORT", "-1");
        env.put("PROMPTLINE_LLM_BASE_URL", llmBaseUrl);
        env.put("PROMPTLINE_LLM_PROVIDER", "simulator");
        return env;
    }
}
