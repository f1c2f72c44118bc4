package io.promptline.ops.bench.peer;

import java.util.Map;

/** What a baseline process is told by the benchmark, through its environment. */
public record BaselineSettings(String bootstrap, String registryUrl, String inputTopic, String resultsTopic, String groupId,
                        String llmBaseUrl, int concurrency, String stateDir) {

    public static BaselineSettings fromEnv(Map<String, String> env) {
        return new BaselineSettings(require(env, "BENCH_BOOTSTRAP"), require(env, "BENCH_REGISTRY"), require(env, "BENCH_INPUT"),
                require(env, "BENCH_RESULTS"), require(env, "BENCH_GROUP"), require(env, "BENCH_LLM_URL"),
                Integer.parseInt(require(env, "BENCH_CONCURRENCY")), env.getOrDefault("BENCH_STATE_DIR", "/tmp/bench-baseline"));
    }

    public Map<String, String> toEnv() {
        return Map.of("BENCH_BOOTSTRAP", bootstrap, "BENCH_REGISTRY", registryUrl, "BENCH_INPUT", inputTopic,
                "BENCH_RESULTS", resultsTopic, "BENCH_GROUP", groupId, "BENCH_LLM_URL", llmBaseUrl,
                "BENCH_CONCURRENCY", Integer.toString(concurrency), "BENCH_STATE_DIR", stateDir);
    }

    private static String require(Map<String, String> env, String name) {
        String v = env.get(name);
        if (v == null || v.isBlank()) throw new IllegalArgumentException(name + " is not set");
        return v;
    }
}
