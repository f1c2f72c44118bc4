package io.promptline.producer.cli;

import io.promptline.topics.DurationFormat;
import io.promptline.topics.TopicCreation;
import io.promptline.topics.TopicLayout;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "topics", description = "Create Promptline's topics (tiers, delay ladder, results, costs, DLQ, compacted tables) or list them.",
        subcommands = {TopicsCommand.Create.class, TopicsCommand.Describe.class})
final class TopicsCommand {

    @Command(name = "create", description = "Create the topics that do not exist yet, with their partitions, retention and compaction.")
    static final class Create implements Callable<Integer> {
        @Mixin
        Connection connection;
        @Spec
        CommandSpec spec;
        @Option(names = "--partitions", defaultValue = "6", description = "Partitions of each topic (default ${DEFAULT-VALUE}): "
                + "the most processor instances a tier can use.")
        int partitions;
        @Option(names = "--replication-factor", defaultValue = "1", description = "Replicas of each topic (default ${DEFAULT-VALUE}; 3 in production).")
        short replicas;
        @Option(names = "--retry-delays", defaultValue = "10s,1m,10m", split = ",", description = "The processor's delay ladder "
                + "(promptline.retry.delays; default ${DEFAULT-VALUE}).")
        List<String> retryDelays;
        @Option(names = "--wait", defaultValue = "60s", converter = Converters.DurationConverter.class,
                description = "How long to wait for the cluster to answer (default ${DEFAULT-VALUE}).")
        Duration wait;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            List<Duration> ladder = retryDelays.stream().map(DurationFormat::parse).toList();
            List<NewTopic> wanted = TopicLayout.topics(connection.topics(), partitions, ladder, replicas);
            try (Admin admin = Admin.create(connection.kafka())) {
                List<String> created = TopicCreation.createAndAwait(admin, wanted, wait);
                for (NewTopic t : wanted) {
                    boolean isNew = created.contains(t.name());
                    out.printf("%-9s %-40s partitions %-3d %s%n", isNew ? "created" : "exists", t.name(),
                            isNew ? t.numPartitions() : -1, t.configs());
                }
            }
            return 0;
        }
    }

    @Command(name = "describe", description = "Show the topics that exist, with their partitions and settings.")
    static final class Describe implements Callable<Integer> {
        @Mixin
        Connection connection;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            List<String> names = TopicLayout.topics(connection.topics(), 1, TopicLayout.DEFAULT_LADDER, (short) 1).stream().map(NewTopic::name).toList();
            try (Admin admin = Admin.create(connection.kafka())) {
                Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
                List<String> present = names.stream().filter(existing::contains).toList();
                var described = admin.describeTopics(present).allTopicNames().get(30, TimeUnit.SECONDS);
                Map<ConfigResource, Config> configs = admin.describeConfigs(present.stream()
                        .map(n -> new ConfigResource(ConfigResource.Type.TOPIC, n)).toList()).all().get(30, TimeUnit.SECONDS);
                for (String n : names) {
                    if (!existing.contains(n)) {
                        out.printf("%-40s missing%n", n);
                        continue;
                    }
                    Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, n));
                    out.printf("%-40s partitions %-3d cleanup.policy=%s retention.ms=%s%n", n, described.get(n).partitions().size(),
                            c.get("cleanup.policy").value(), c.get("retention.ms").value());
                }
            }
            return 0;
        }
    }
}
