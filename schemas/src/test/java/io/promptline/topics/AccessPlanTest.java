package io.promptline.topics;

import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourceType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class AccessPlanTest {
    @Test
    void shouldGiveTheProcessorItsStreamsResourcesByPrefixAndPromptlineTopicsByName() {
        List<AccessPlan.Grant> grants = AccessPlan.processor(Topics.withBase("acme"), "pl", List.of(Duration.ofSeconds(30)));
        assertThat(grants).extracting(AccessPlan.Grant::describe).contains(
                "TOPIC literal acme.requests.urgent READ",
                "TOPIC literal acme.retry.30s WRITE",
                "TOPIC literal acme.results WRITE",
                "TOPIC literal acme.capacity WRITE",
                "TOPIC prefixed pl- CREATE",
                "GROUP prefixed pl- READ",
                "TRANSACTIONAL_ID prefixed pl- WRITE");
        // Nothing on the cluster, and no CREATE on Promptline's own topics (an admin makes them)
        assertThat(grants).noneMatch(g -> g.type() == ResourceType.CLUSTER);
        assertThat(grants).noneMatch(g -> g.operation() == AclOperation.CREATE && g.pattern() == PatternType.LITERAL);
        assertThat(grants).doesNotHaveDuplicates();
    }

    @Test
    void shouldLimitAnApplicationPublishingToWritingTheTiers() {
        assertThat(AccessPlan.producer(Topics.withBase("acme"))).extracting(AccessPlan.Grant::describe).containsExactly(
                "TOPIC literal acme.requests.urgent WRITE", "TOPIC literal acme.requests.normal WRITE", "TOPIC literal acme.requests.batch WRITE");
    }

    @Test
    void shouldPrintKafkaAclsCommands() {
        AccessPlan.Grant txn = new AccessPlan.Grant(ResourceType.TRANSACTIONAL_ID, "pl-", PatternType.PREFIXED, AclOperation.WRITE);
        assertThat(txn.command("User:proc")).isEqualTo("kafka-acls.sh --bootstrap-server $BOOTSTRAP --command-config admin.properties --add "
                + "--allow-principal User:proc --operation Write --transactional-id pl- --resource-pattern-type prefixed");
        AccessPlan.Grant configs = new AccessPlan.Grant(ResourceType.TOPIC, "pl-", PatternType.PREFIXED, AclOperation.DESCRIBE_CONFIGS);
        assertThat(configs.command("User:proc")).contains("--operation DescribeConfigs --topic pl- --resource-pattern-type prefixed");
        assertThat(txn.binding("User:proc").entry().principal()).isEqualTo("User:proc");
    }
}
