package io.promptline.producer.cli;

import io.promptline.producer.PromptlineProducer;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.registry.SchemaRegistryClient;
import io.promptline.topics.Topics;
import picocli.CommandLine.Option;

import java.util.HashMap;
import java.util.Map;

/** Where Kafka and the registry are, shared by every command; defaults from the environment (as the deployables read it). */
final class Connection {
    private SchemaRegistryClient registry;

    @Option(names = {"-b", "--bootstrap-servers"}, paramLabel = "HOST:PORT",
            defaultValue = "${env:PROMPTLINE_BOOTSTRAP_SERVERS:-localhost:19092}",
            description = "Kafka bootstrap servers (env PROMPTLINE_BOOTSTRAP_SERVERS; default: the local stack's, ${DEFAULT-VALUE}).")
    String bootstrapServers;

    @Option(names = {"-r", "--schema-registry"}, paramLabel = "URL",
            defaultValue = "${env:PROMPTLINE_SCHEMA_REGISTRY_URL:-http://localhost:18081}",
            description = "Confluent-compatible Schema Registry (env PROMPTLINE_SCHEMA_REGISTRY_URL; default ${DEFAULT-VALUE}).")
    String schemaRegistryUrl;

    @Option(names = "--topics-base", paramLabel = "PREFIX", defaultValue = "${env:PROMPTLINE_TOPICS_BASE:-llm}",
            description = "Prefix of the topic names (env PROMPTLINE_TOPICS_BASE; default ${DEFAULT-VALUE}).")
    String topicsBase;

    Topics topics() {
        return Topics.withBase(topicsBase);
    }

    /** One client per command run, so its schema cache serves every serde the command creates. */
    SchemaRegistryClient registry() {
        if (registry == null) registry = new RestSchemaRegistryClient(schemaRegistryUrl);
        return registry;
    }

    PromptlineProducer producer() {
        return PromptlineProducer.builder().bootstrapServers(bootstrapServers).schemaRegistryUrl(schemaRegistryUrl).registry(registry())
                .topics(topics()).maxBlock(java.time.Duration.ofSeconds(15)).build();
    }

    /** Client settings for consumers and producers the commands create. */
    Map<String, Object> kafka() {
        Map<String, Object> m = new HashMap<>();
        m.put("bootstrap.servers", bootstrapServers);
        m.put("default.api.timeout.ms", 15_000);
        m.put("request.timeout.ms", 10_000);
        return m;
    }
}
