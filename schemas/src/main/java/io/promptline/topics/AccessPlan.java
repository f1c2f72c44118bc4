package io.promptline.topics;

import io.promptline.avro.Priority;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The Kafka ACLs each Promptline component needs on a secured cluster, and nothing more: what
 * OPERATIONS.md lists, what {@code promptline acls} prints as {@code kafka-acls.sh} commands, and
 * what the secured-cluster test grants. Topics are made beforehand by an operator ({@code promptline
 * topics create} as an admin principal), so no component creates Promptline's own topics; the
 * Kafka Streams applications create their internal topics under their application id.
 *
 * <p>READ and WRITE imply DESCRIBE in Kafka's authorizer, so DESCRIBE is never listed separately.
 */
public final class AccessPlan {
    /** The four kinds of principal Promptline runs as, and the Confluent Schema Registry it needs beside it. */
    public enum Component { PROCESSOR, SINK, PRODUCER, CLI, SCHEMA_REGISTRY }

    /** The Confluent Schema Registry's defaults: {@code kafkastore.topic} and {@code schema.registry.group.id}. */
    public static final String REGISTRY_TOPIC = "_schemas";
    public static final String REGISTRY_GROUP = "schema-registry";

    /** One ACL: allow {@code operation} on a resource, named literally or by prefix. */
    public record Grant(ResourceType type, String name, PatternType pattern, AclOperation operation) {
        public AclBinding binding(String principal) {
            return new AclBinding(new ResourcePattern(type, name, pattern),
                    new AccessControlEntry(principal, "*", operation, AclPermissionType.ALLOW));
        }

        /** E.g. {@code TRANSACTIONAL_ID prefixed promptline-processor- WRITE}. */
        public String describe() {
            return type + " " + pattern.name().toLowerCase(Locale.ROOT) + " " + name + " " + operation;
        }

        /** The {@code kafka-acls.sh} command that makes this grant for {@code principal}. */
        public String command(String principal) {
            String flag = switch (type) {
                case TOPIC -> "--topic";
                case GROUP -> "--group";
                case TRANSACTIONAL_ID -> "--transactional-id";
                case CLUSTER -> "--cluster";
                default -> throw new IllegalStateException("no kafka-acls flag for " + type);
            };
            return "kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config admin.properties --add --allow-principal " + principal
                    + " --operation " + operationFlag(operation) + " " + flag + (type == ResourceType.CLUSTER ? "" : " " + name)
                    + (pattern == PatternType.PREFIXED ? " --resource-pattern-type prefixed" : "");
        }

        private static String operationFlag(AclOperation op) {
            StringBuilder out = new StringBuilder();
            for (String part : op.name().toLowerCase(Locale.ROOT).split("_")) {
                out.append(Character.toUpperCase(part.charAt(0))).append(part.substring(1));
            }
            return out.toString();
        }
    }

    private AccessPlan() {
    }

    /**
     * The processor with {@code promptline.processor.application.id} = {@code applicationId}: it
     * reads the request tiers, the delay ladder, quotas, spend and batch commands; writes results,
     * costs, dead letters, the ladder, batch-job states and capacity heartbeats; and owns every
     * group, transactional id and internal topic under {@code <applicationId>-} (the tiers' Kafka
     * Streams applications, their hand-over topics and the retry relay).
     */
    public static List<Grant> processor(Topics topics, String applicationId, List<Duration> ladder) {
        List<Grant> out = new ArrayList<>();
        for (Priority p : Priority.values()) out.add(topic(topics.requests(p), AclOperation.READ));
        for (Duration rung : ladder) {
            out.add(topic(topics.retry(rung), AclOperation.READ));
            out.add(topic(topics.retry(rung), AclOperation.WRITE));
        }
        for (String t : List.of(topics.results(), topics.resultsStream(), topics.costs(), topics.dlq(), topics.batchJobs())) {
            out.add(topic(t, AclOperation.WRITE));
        }
        for (String t : List.of(topics.quotas(), topics.spend(), topics.batchCommands())) out.add(topic(t, AclOperation.READ));
        out.add(topic(topics.capacity(), AclOperation.READ));
        out.add(topic(topics.capacity(), AclOperation.WRITE));
        out.addAll(streamsApplication(applicationId + "-", true));
        return List.copyOf(out);
    }

    /**
     * The sink: its consumer groups ({@code promptline.sink.group.id}, {@code
     * promptline.alerts.group.id}) read results, costs, hourly roll-ups and dead letters; the cost roll-up, a Kafka
     * Streams application ({@code promptline.sink.rollup.application.id}), writes the hourly
     * roll-ups and the spend totals.
     */
    public static List<Grant> sink(Topics topics, String groupId, String alertsGroupId, String rollupApplicationId) {
        List<Grant> out = new ArrayList<>();
        for (String t : List.of(topics.results(), topics.costs(), topics.dlq())) out.add(topic(t, AclOperation.READ));
        out.add(topic(topics.costsHourly(), AclOperation.READ));
        out.add(topic(topics.costsHourly(), AclOperation.WRITE));
        out.add(topic(topics.spend(), AclOperation.WRITE));
        out.add(new Grant(ResourceType.GROUP, groupId, PatternType.LITERAL, AclOperation.READ));
        out.add(new Grant(ResourceType.GROUP, alertsGroupId, PatternType.LITERAL, AclOperation.READ));
        out.add(new Grant(ResourceType.GROUP, rollupApplicationId, PatternType.LITERAL, AclOperation.READ));
        out.addAll(streamsApplication(rollupApplicationId + "-", false));
        return List.copyOf(out);
    }

    /**
     * The sink's dead-letter triage, when it is on ({@code promptline.triage.enabled}): its group
     * ({@code promptline.triage.group.id}) reads the dead letters (READ on the DLQ is the sink's
     * already), and it publishes its requests to the urgent tier.
     */
    public static List<Grant> triage(Topics topics, String triageGroupId) {
        return List.of(topic(topics.requests(io.promptline.avro.Priority.URGENT), AclOperation.WRITE),
                new Grant(ResourceType.GROUP, triageGroupId, PatternType.LITERAL, AclOperation.READ));
    }

    /** An application publishing requests with the producer library (idempotent: WRITE on a topic is enough for that). */
    public static List<Grant> producer(Topics topics) {
        return topics.allRequestTopics().stream().map(t -> topic(t, AclOperation.WRITE)).toList();
    }

    /**
     * The {@code promptline} CLI as an operator uses it: submit, import (transactional, resumable),
     * results, tail, dlq (list, show, redrive), quota, costs and batches. {@code topics create}
     * needs an admin principal and is not part of it.
     */
    public static List<Grant> cli(Topics topics) {
        List<Grant> out = new ArrayList<>();
        for (String t : topics.allRequestTopics()) out.add(topic(t, AclOperation.WRITE));
        for (String t : List.of(topics.results(), topics.resultsStream(), topics.dlq(), topics.costs(), topics.costsHourly(),
                topics.batchJobs())) {
            out.add(topic(t, AclOperation.READ));
        }
        for (String t : List.of(topics.quotas(), topics.imports())) {
            out.add(topic(t, AclOperation.READ));
            out.add(topic(t, AclOperation.WRITE));
        }
        out.add(topic(topics.batchCommands(), AclOperation.WRITE));
        out.add(new Grant(ResourceType.TRANSACTIONAL_ID, "promptline-import-", PatternType.PREFIXED, AclOperation.WRITE));
        return List.copyOf(out);
    }

    /**
     * The Confluent Schema Registry's Kafka store, as Confluent documents it: it creates its
     * compacted {@code storeTopic} if absent and checks its configs, writes schemas to it and reads
     * them back, and elects its leader through {@code groupId}. Promptline's own registry
     * ({@code ops/registry}) keeps no data in Kafka and needs none of this.
     */
    public static List<Grant> schemaRegistry(String storeTopic, String groupId) {
        List<Grant> out = new ArrayList<>();
        for (AclOperation op : List.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DESCRIBE_CONFIGS)) {
            out.add(topic(storeTopic, op));
        }
        out.add(new Grant(ResourceType.GROUP, groupId, PatternType.LITERAL, AclOperation.READ));
        return List.copyOf(out);
    }

    /** The grants of a component with the default names (topics {@code llm.*}, the default ids and ladder). */
    public static List<Grant> defaults(Component c) {
        Topics t = Topics.defaults();
        return switch (c) {
            case PROCESSOR -> processor(t, "promptline-processor", TopicLayout.DEFAULT_LADDER);
            case SINK -> sink(t, "promptline-sink-postgres", "promptline-alerts", "promptline-cost-rollup");
            case PRODUCER -> producer(t);
            case CLI -> cli(t);
            case SCHEMA_REGISTRY -> schemaRegistry(REGISTRY_TOPIC, REGISTRY_GROUP);
        };
    }

    /** A Markdown list of the grants, one per line, as OPERATIONS.md shows them. */
    public static String markdown(List<Grant> grants) {
        return grants.stream().map(g -> "- `" + g.describe() + "`").collect(Collectors.joining("\n"));
    }

    /**
     * A Kafka Streams application's own resources under {@code prefix}: its internal topics
     * (repartition and changelog; created, read, written, purged, their configs checked), its
     * transactional ids (exactly_once_v2) and, when {@code groups}, its consumer groups.
     */
    private static List<Grant> streamsApplication(String prefix, boolean groups) {
        List<Grant> out = new ArrayList<>();
        for (AclOperation op : List.of(AclOperation.CREATE, AclOperation.READ, AclOperation.WRITE, AclOperation.DELETE,
                AclOperation.DESCRIBE_CONFIGS)) {
            out.add(new Grant(ResourceType.TOPIC, prefix, PatternType.PREFIXED, op));
        }
        if (groups) out.add(new Grant(ResourceType.GROUP, prefix, PatternType.PREFIXED, AclOperation.READ));
        out.add(new Grant(ResourceType.TRANSACTIONAL_ID, prefix, PatternType.PREFIXED, AclOperation.WRITE));
        return out;
    }

    private static Grant topic(String name, AclOperation op) {
        return new Grant(ResourceType.TOPIC, name, PatternType.LITERAL, op);
    }
}
