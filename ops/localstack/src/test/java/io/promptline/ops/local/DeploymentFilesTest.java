package io.promptline.ops.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.promptline.avro.Priority;
import io.promptline.config.ConfigSources;
import io.promptline.metrics.MetricsEndpoint;
import io.promptline.ops.simulator.SimulatorConfig;
import io.promptline.runtime.Health;
import io.promptline.processor.config.ProcessorConfig;
import io.promptline.sink.config.SinkConfig;
import io.promptline.topics.Topics;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * There is no Docker engine where CI runs, so the deployment files are checked against the code:
 * the compose file, the Dockerfiles, the Kubernetes manifests, the Prometheus rules and the
 * Grafana dashboard. ComposeStackIntegrationTest starts the compose stack for real wherever Docker exists.
 */
class DeploymentFilesTest {
    static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();
    private static final ObjectMapper YAML = new YAMLMapper();
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A YAML file as a tree, with anchors, aliases and merge keys ({@code <<: *x}) resolved (SnakeYAML does; Jackson does not). */
    private static JsonNode yaml(String path) throws IOException {
        try (var reader = Files.newBufferedReader(ROOT.resolve(path))) {
            Object loaded = new org.yaml.snakeyaml.Yaml().load(reader);
            return JSON.valueToTree(loaded);
        }
    }

    private static List<JsonNode> yamlDocuments(Path file) throws IOException {
        List<JsonNode> docs = new ArrayList<>();
        try (var parser = new YAMLFactory().createParser(file.toFile())) {
            YAML.readValues(parser, JsonNode.class).forEachRemaining(docs::add);
        }
        return docs;
    }

    /** The environment variable of every key a config class defines. */
    private static Set<String> envNames(Set<String> keys) {
        return keys.stream().map(ConfigSources::envName).collect(Collectors.toSet());
    }

    private static Set<String> processorEnv() {
        return envNames(ProcessorConfig.CONFIG.names());
    }

    private static Set<String> sinkEnv() {
        return envNames(SinkConfig.CONFIG.names());
    }

    private static Map<String, String> env(JsonNode service) {
        Map<String, String> out = new java.util.TreeMap<>();
        service.path("environment").fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().asText()));
        return out;
    }

    @Test
    void composeRunsTheWholeStackWithPinnedImagesAndConsistentWiring() throws IOException {
        JsonNode compose = yaml("docker-compose.yml");
        JsonNode services = compose.path("services");
        assertThat(iterable(services.fieldNames())).contains("kafka", "schema-registry", "postgres", "topics", "simulator", "processor",
                "sink", "prometheus", "grafana");
        // The broker the tests' clients and Streams were built against, writing where its volume is
        String kafkaVersion = Files.readString(ROOT.resolve("pom.xml")).replaceAll("(?s).*<kafka.version>([^<]+)</kafka.version>.*", "$1");
        assertThat(services.path("kafka").path("image").asText()).isEqualTo("apache/kafka:" + kafkaVersion);
        String kafkaVolume = services.path("kafka").path("volumes").get(0).asText();
        assertThat(env(services.path("kafka")).get("KAFKA_LOG_DIRS")).as("the image writes to /tmp unless KAFKA_LOG_DIRS says otherwise")
                .isEqualTo(kafkaVolume.split(":")[1]);
        assertThat(services.path("schema-registry").path("image").asText()).startsWith("confluentinc/cp-schema-registry:");
        assertThat(services.path("processor").path("deploy").path("replicas").asInt()).isEqualTo(2);

        services.fields().forEachRemaining(s -> {
            String image = s.getValue().path("image").asText();
            assertThat(image).as(s.getKey() + " image").matches("[^:]+:[^:]+").doesNotEndWith(":latest");
            s.getValue().path("depends_on").fieldNames().forEachRemaining(d -> assertThat(services.has(d))
                    .as(s.getKey() + " depends on " + d).isTrue());
            for (JsonNode d : s.getValue().path("depends_on")) {
                if (d.isTextual()) assertThat(services.has(d.asText())).as(s.getKey() + " depends on " + d.asText()).isTrue();
            }
        });

        // Every PROMPTLINE_* variable is a key of the deployable's config class
        assertThat(env(services.path("processor")).keySet()).allMatch(k -> !k.startsWith("PROMPTLINE_") || processorEnv().contains(k));
        assertThat(env(services.path("sink")).keySet()).allMatch(k -> !k.startsWith("PROMPTLINE_") || sinkEnv().contains(k));
        Set<String> simulatorEnv = Stream.of("HOST", "PORT", "LATENCY", "INSTANCES").map(k -> "PROMPTLINE_SIMULATOR_" + k).collect(Collectors.toSet());
        assertThat(env(services.path("simulator")).keySet()).allMatch(simulatorEnv::contains);
        assertThat(SimulatorConfig.fromEnv(env(services.path("simulator"))).port()).isEqualTo(8000);

        // Addresses point at the right services and ports
        Map<String, String> processor = env(services.path("processor"));
        assertThat(processor.get("PROMPTLINE_BOOTSTRAP_SERVERS")).isEqualTo("kafka:29092");
        assertThat(env(services.path("kafka")).get("KAFKA_ADVERTISED_LISTENERS")).contains("INTERNAL://kafka:29092");
        assertThat(processor.get("PROMPTLINE_SCHEMA_REGISTRY_URL")).isEqualTo("http://schema-registry:8081");
        assertThat(env(services.path("schema-registry")).get("SCHEMA_REGISTRY_LISTENERS")).endsWith(":8081");
        assertThat(processor.get("PROMPTLINE_LLM_BASE_URL")).contains("http://simulator:8000/v1");
        assertThat(env(services.path("sink")).get("PROMPTLINE_SINK_JDBC_URL")).isEqualTo("jdbc:postgresql://postgres:5432/"
                + env(services.path("postgres")).get("POSTGRES_DB"));
        // The delay ladder of the processor is the one the topics were created for
        assertThat(services.path("topics").path("command").toString()).contains(processor.get("PROMPTLINE_RETRY_DELAYS"));

        // Prometheus scrapes the ports the deployables serve /metrics on
        JsonNode prometheus = yaml("ops/prometheus/prometheus.yml");
        Map<String, Integer> scraped = new java.util.HashMap<>();
        for (JsonNode job : prometheus.path("scrape_configs")) {
            JsonNode sd = job.path("dns_sd_configs").get(0);
            scraped.put(sd.path("names").get(0).asText(), sd.path("port").asInt());
        }
        assertThat(scraped).containsEntry("processor", Integer.parseInt(processor.get("PROMPTLINE_METRICS_PORT")))
                .containsEntry("sink", Integer.parseInt(env(services.path("sink")).get("PROMPTLINE_METRICS_PORT")));

        // Mounted files exist
        for (String svc : List.of("prometheus", "grafana")) {
            for (JsonNode v : services.path(svc).path("volumes")) {
                String host = v.asText().split(":")[0];
                assertThat(ROOT.resolve(host)).as(svc + " mounts " + host).exists();
            }
        }
    }

    /**
     * Processor and sink are healthy in compose when their /health/ready answers 200 on their metrics port: the
     * command compose runs is run here against a real endpoint (ready, not ready, nothing listening).
     */
    @Test
    void composeHealthchecksAskTheDeployablesReadinessOnTheirMetricsPort() throws Exception {
        JsonNode services = yaml("docker-compose.yml").path("services");
        for (String svc : List.of("processor", "sink")) {
            JsonNode check = services.path(svc).path("healthcheck");
            List<String> test = new ArrayList<>();
            check.path("test").forEach(t -> test.add(t.asText()));
            assertThat(test).as(svc + " healthcheck").hasSize(4).startsWith("CMD", "bash", "-c");
            String port = env(services.path(svc)).get("PROMPTLINE_METRICS_PORT");
            assertThat(test.get(3)).as(svc + " healthcheck").contains("/dev/tcp/127.0.0.1/" + port + " ").contains("GET /health/ready ");
            assertThat(services.path(svc).path("expose").toString()).contains(port);
            assertThat(check.path("start_period").asText()).as(svc + " start period").isNotEmpty();

            AtomicBoolean ready = new AtomicBoolean(false);
            try (MetricsEndpoint endpoint = MetricsEndpoint.start(MetricsEndpoint.newRegistry(svc), "127.0.0.1", 0,
                    new Health().add("worker", () -> true, ready::get))) {
                String command = test.get(3).replace("/dev/tcp/127.0.0.1/" + port + " ", "/dev/tcp/127.0.0.1/" + endpoint.port() + " ");
                assertThat(bash(command)).as(svc + " healthcheck while not ready").isNotZero();
                ready.set(true);
                assertThat(bash(command)).as(svc + " healthcheck when ready").isZero();
            }
            assertThat(bash(test.get(3).replace("/dev/tcp/127.0.0.1/" + port + " ", "/dev/tcp/127.0.0.1/" + Ports.free() + " ")))
                    .as(svc + " healthcheck with nothing listening").isNotZero();
        }
    }

    private static int bash(String command) throws Exception {
        Process p = new ProcessBuilder("bash", "-c", command).redirectErrorStream(true).start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("healthcheck did not finish in 10 s: " + command);
        }
        return p.exitValue();
    }

    @Test
    void dockerfilesAreMultiStageNonRootAndStartRealMainClasses() throws Exception {
        JsonNode services = yaml("docker-compose.yml").path("services");
        Map<String, String> dockerfiles = new java.util.TreeMap<>();
        services.fields().forEachRemaining(s -> {
            JsonNode build = s.getValue().path("build");
            if (!build.isMissingNode()) dockerfiles.put(s.getKey(), build.path("dockerfile").asText());
        });
        assertThat(dockerfiles).containsKeys("processor", "sink", "simulator", "topics");
        for (var e : dockerfiles.entrySet()) {
            String text = Files.readString(ROOT.resolve(e.getValue()));
            assertThat(Pattern.compile("^FROM ", Pattern.MULTILINE).matcher(text).results().count()).as(e.getValue() + " stages").isGreaterThanOrEqualTo(2);
            assertThat(text).as(e.getValue()).containsPattern("(?m)^FROM \\S+:\\S+ AS build$").containsPattern("(?m)^USER promptline$")
                    .doesNotContain(":latest");
            Matcher main = Pattern.compile("\"(io\\.promptline\\.[A-Za-z.]+Main)\"").matcher(text);
            if (main.find()) Class.forName(main.group(1)); // the entrypoint class exists
            Matcher expose = Pattern.compile("(?m)^EXPOSE (\\d+)$").matcher(text);
            if (expose.find()) {
                String port = expose.group(1);
                assertThat(services.path(e.getKey()).toString()).as(e.getKey() + " uses the port its image exposes").contains(port);
            }
        }
        assertThat(Files.readString(ROOT.resolve(".dockerignore"))).contains("**/target", ".git");
    }

    @Test
    void kubernetesManifestsAreConsistent() throws IOException {
        Map<String, JsonNode> byName = new java.util.HashMap<>();
        JsonNode kustomization = yaml("ops/k8s/kustomization.yaml");
        for (JsonNode r : kustomization.path("resources")) {
            Path file = ROOT.resolve("ops/k8s").resolve(r.asText());
            assertThat(file).exists();
            for (JsonNode doc : yamlDocuments(file)) byName.put(doc.path("kind").asText() + "/" + doc.path("metadata").path("name").asText(), doc);
        }
        JsonNode config = byName.get("ConfigMap/promptline-config");
        Set<String> known = new HashSet<>(processorEnv());
        known.addAll(sinkEnv());
        config.path("data").fieldNames().forEachRemaining(k -> assertThat(known).as("configmap key " + k).contains(k));
        JsonNode secret = yamlDocuments(ROOT.resolve("ops/k8s/secret.example.yaml")).get(0);
        secret.path("stringData").fieldNames().forEachRemaining(k -> assertThat(known).as("secret key " + k).contains(k));

        for (String name : List.of("StatefulSet/promptline-processor", "Deployment/promptline-sink")) {
            JsonNode d = byName.get(name);
            assertThat(d).as(name).isNotNull();
            JsonNode labels = d.path("spec").path("template").path("metadata").path("labels");
            d.path("spec").path("selector").path("matchLabels").fields().forEachRemaining(l ->
                    assertThat(labels.path(l.getKey()).asText()).as(name + " selector").isEqualTo(l.getValue().asText()));
            JsonNode c = d.path("spec").path("template").path("spec").path("containers").get(0);
            assertThat(c.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/health/live");
            assertThat(c.path("readinessProbe").path("httpGet").path("path").asText()).isEqualTo("/health/ready");
            assertThat(c.path("envFrom").toString()).contains("promptline-config").contains(secret.path("metadata").path("name").asText());
            String port = String.valueOf(c.path("ports").get(0).path("containerPort").asInt());
            assertThat(c.path("env").toString()).contains("PROMPTLINE_METRICS_PORT").contains(port);
            assertThat(d.path("spec").path("template").path("spec").path("securityContext").path("runAsNonRoot").asBoolean()).isTrue();
        }
        // The processor's state lives on a persistent volume per pod, mounted where its state directory is
        JsonNode processor = byName.get("StatefulSet/promptline-processor");
        assertThat(processor.path("spec").path("volumeClaimTemplates").get(0).path("metadata").path("name").asText()).isEqualTo("state");
        JsonNode container = processor.path("spec").path("template").path("spec").path("containers").get(0);
        assertThat(container.path("volumeMounts").toString()).contains("\"name\":\"state\"").contains("/var/lib/promptline");
        assertThat(container.path("env").toString()).contains("PROMPTLINE_PROCESSOR_STATE_DIR").contains("/var/lib/promptline/");
        assertThat(processor.path("spec").path("template").path("spec").path("volumes").isMissingNode())
                .as("no emptyDir: the state must survive a pod's restart").isTrue();
        assertThat(config.path("data").path("PROMPTLINE_PROCESSOR_STANDBY_REPLICAS").asText()).isEqualTo("1");
        JsonNode pdb = byName.get("PodDisruptionBudget/promptline-processor");
        assertThat(pdb.path("spec").path("selector").path("matchLabels").path("app.kubernetes.io/name").asText()).isEqualTo("promptline-processor");

        // KEDA watches each tier's consumer group (the tier's Streams application.id) on its topic
        JsonNode scaled = byName.get("ScaledObject/promptline-processor");
        assertThat(scaled.path("spec").path("scaleTargetRef").path("name").asText()).isEqualTo("promptline-processor");
        assertThat(scaled.path("spec").path("scaleTargetRef").path("kind").asText()).isEqualTo("StatefulSet");
        ProcessorConfig defaults = new ProcessorConfig(Map.of("bootstrap.servers", "x:9092", "schema.registry.url", "http://x"));
        Set<String> groups = new HashSet<>();
        for (JsonNode t : scaled.path("spec").path("triggers")) {
            assertThat(t.path("type").asText()).isEqualTo("kafka");
            groups.add(t.path("metadata").path("consumerGroup").asText() + "@" + t.path("metadata").path("topic").asText());
        }
        Set<String> expected = new HashSet<>();
        for (Priority tier : Priority.values()) expected.add(defaults.applicationId(tier) + "@" + Topics.defaults().requests(tier));
        assertThat(groups).isEqualTo(expected);
    }

    /**
     * The secured overlay: every patch and resource exists, every variable it sets is one the
     * deployables read (a Kafka client setting through PROMPTLINE_KAFKA_*, a secret through _FILE),
     * no credential sits in the environment, and KEDA logs in through the TriggerAuthentication.
     */
    @Test
    void securedKubernetesOverlayIsConsistent() throws IOException {
        Path dir = ROOT.resolve("ops/k8s/secured");
        JsonNode kustomization = yaml("ops/k8s/secured/kustomization.yaml");
        assertThat(kustomization.path("resources").toString()).contains("\"../\"");
        Map<String, JsonNode> byName = new java.util.HashMap<>();
        List<JsonNode> files = new ArrayList<>();
        kustomization.path("resources").forEach(r -> files.add(r));
        kustomization.path("patches").forEach(p -> files.add(p.path("path")));
        for (JsonNode f : files) {
            if (f.asText().equals("../")) continue;
            Path file = dir.resolve(f.asText());
            assertThat(file).exists();
            for (JsonNode doc : yamlDocuments(file)) byName.put(doc.path("kind").asText() + "/" + doc.path("metadata").path("name").asText(), doc);
        }
        Set<String> known = new HashSet<>(processorEnv());
        known.addAll(sinkEnv());
        Set<String> kafkaKeys = new HashSet<>(org.apache.kafka.clients.producer.ProducerConfig.configNames());
        kafkaKeys.addAll(org.apache.kafka.clients.consumer.ConsumerConfig.configNames());
        for (String name : List.of("StatefulSet/promptline-processor", "Deployment/promptline-sink", "Job/promptline-topics")) {
            JsonNode c = byName.get(name).path("spec").path("template").path("spec").path("containers").get(0);
            Set<String> mounted = new HashSet<>();
            c.path("volumeMounts").forEach(m -> mounted.add(m.path("mountPath").asText()));
            for (JsonNode e : c.path("env")) {
                String var = e.path("name").asText();
                assertThat(var).as(name + " sets a secret in plain environment").doesNotContain("JAAS_CONFIG\"").isNotEqualTo("PROMPTLINE_KAFKA_SASL_JAAS_CONFIG");
                String base = var.endsWith("_FILE") ? var.substring(0, var.length() - "_FILE".length()) : var;
                if (base.startsWith("PROMPTLINE_KAFKA_")) {
                    String key = base.substring("PROMPTLINE_KAFKA_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', '.');
                    assertThat(kafkaKeys).as(name + ": " + var + " is no Kafka client setting").contains(key);
                } else {
                    assertThat(known).as(name + ": " + var).containsAnyOf(var, base);
                }
                if (var.endsWith("_FILE") || var.endsWith("_LOCATION")) {
                    String path = e.path("value").asText();
                    assertThat(mounted).as(name + ": " + var + " points into a mounted volume").anyMatch(path::startsWith);
                }
            }
            assertThat(c.path("env").toString()).contains("SASL_SSL").contains("SCRAM-SHA-512");
        }
        JsonNode auth = byName.get("TriggerAuthentication/promptline-kafka");
        assertThat(auth.path("spec").path("secretTargetRef").toString()).contains("promptline-kafka-processor").contains("password");
        JsonNode scaled = byName.get("ScaledObject/promptline-processor");
        assertThat(scaled.path("spec").path("triggers")).hasSize(Priority.values().length);
        for (JsonNode t : scaled.path("spec").path("triggers")) {
            assertThat(t.path("authenticationRef").path("name").asText()).isEqualTo("promptline-kafka");
            assertThat(t.path("metadata").path("sasl").asText()).isEqualTo("scram_sha512");
            assertThat(t.path("metadata").path("tls").asText()).isEqualTo("enable");
        }
    }

    @Test
    void alertRulesAndDashboardAreWellFormed() throws IOException {
        JsonNode alerts = yaml("ops/prometheus/alerts.yml");
        List<String> names = new ArrayList<>();
        for (JsonNode group : alerts.path("groups")) {
            for (JsonNode rule : group.path("rules")) {
                names.add(rule.path("alert").asText());
                assertThat(rule.path("expr").asText()).as(rule.path("alert").asText()).isNotBlank();
                assertThat(rule.path("labels").path("severity").asText()).isIn("critical", "warning", "info");
                assertThat(rule.path("annotations").path("summary").asText()).isNotBlank();
            }
        }
        assertThat(names).contains("PromptlineBreakerOpen", "PromptlineEndpointMisconfigured", "PromptlineProcessorDown");

        JsonNode dashboard = JSON.readTree(ROOT.resolve("ops/grafana/dashboards/promptline.json").toFile());
        assertThat(dashboard.path("uid").asText()).isEqualTo("promptline");
        List<String> titles = new ArrayList<>();
        for (JsonNode p : dashboard.path("panels")) {
            titles.add(p.path("title").asText());
            for (JsonNode t : p.path("targets")) assertThat(t.path("expr").asText()).as(p.path("title").asText()).isNotBlank();
        }
        assertThat(String.join("|", titles)).contains("Results per tier", "Consumer lag", "in flight", "latency", "429", "breaker",
                "Retries", "Dead letters by category", "Spend per tenant and model");
    }

    /** Every metric the alert rules and the dashboard use, e.g. promptline_calls_total. */
    static Set<String> referencedMetrics() throws IOException {
        String text = Files.readString(ROOT.resolve("ops/prometheus/alerts.yml")) + Files.readString(ROOT.resolve("ops/grafana/dashboards/promptline.json"));
        Set<String> out = new java.util.TreeSet<>();
        Matcher m = Pattern.compile("\\b((?:promptline|kafka_consumer|jvm)_[a-z_]+)").matcher(text);
        while (m.find()) out.add(m.group(1));
        return out;
    }

    private static List<String> iterable(java.util.Iterator<String> it) {
        List<String> out = new ArrayList<>();
        it.forEachRemaining(out::add);
        return out;
    }
}
