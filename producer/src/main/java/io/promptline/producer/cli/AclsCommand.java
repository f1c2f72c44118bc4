package io.promptline.producer.cli;

import io.promptline.topics.AccessPlan;
import io.promptline.topics.DurationFormat;
import io.promptline.topics.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code promptline acls processor --principal User:promptline-processor}: the Kafka ACLs one
 * component needs on a secured cluster, as {@code kafka-acls.sh} commands to run with an admin's
 * client settings. Nothing is sent to the cluster.
 */
@Command(name = "acls", description = "Print the kafka-acls.sh commands that grant one component exactly the ACLs it needs "
        + "(processor, sink, producer, cli); see OPERATIONS.md, 'Secured clusters'.")
final class AclsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Parameters(index = "0", paramLabel = "COMPONENT", description = "processor, sink, producer or cli.",
            converter = ComponentConverter.class)
    AccessPlan.Component component;
    @Option(names = "--principal", required = true, paramLabel = "User:NAME", description = "The component's Kafka principal, e.g. User:promptline-processor.")
    String principal;
    @Option(names = "--topics-base", defaultValue = "${env:PROMPTLINE_TOPICS_BASE:-llm}", paramLabel = "PREFIX",
            description = "Prefix of the topic names (env PROMPTLINE_TOPICS_BASE; default ${DEFAULT-VALUE}).")
    String topicsBase;
    @Option(names = "--application-id", defaultValue = "promptline-processor",
            description = "The processor's promptline.processor.application.id (default ${DEFAULT-VALUE}).")
    String applicationId;
    @Option(names = "--retry-delays", defaultValue = "10s,1m,10m", split = ",", description = "The processor's delay ladder "
            + "(promptline.retry.delays; default ${DEFAULT-VALUE}).")
    List<String> retryDelays;
    @Option(names = "--sink-group", defaultValue = "promptline-sink-postgres", description = "promptline.sink.group.id (default ${DEFAULT-VALUE}).")
    String sinkGroup;
    @Option(names = "--alerts-group", defaultValue = "promptline-alerts", description = "promptline.alerts.group.id (default ${DEFAULT-VALUE}).")
    String alertsGroup;
    @Option(names = "--rollup-application-id", defaultValue = "promptline-cost-rollup",
            description = "promptline.sink.rollup.application.id (default ${DEFAULT-VALUE}).")
    String rollupApplicationId;

    @Override
    public Integer call() {
        if (!principal.contains(":")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--principal must be TYPE:NAME, e.g. User:promptline-processor");
        }
        Topics topics = Topics.withBase(topicsBase);
        List<Duration> ladder = retryDelays.stream().map(DurationFormat::parse).toList();
        List<AccessPlan.Grant> grants = switch (component) {
            case PROCESSOR -> AccessPlan.processor(topics, applicationId, ladder);
            case SINK -> AccessPlan.sink(topics, sinkGroup, alertsGroup, rollupApplicationId);
            case PRODUCER -> AccessPlan.producer(topics);
            case CLI -> AccessPlan.cli(topics);
        };
        PrintWriter out = spec.commandLine().getOut();
        out.println("# " + grants.size() + " ACLs for the " + component.name().toLowerCase(java.util.Locale.ROOT) + " as " + principal);
        for (AccessPlan.Grant g : grants) out.println(g.command(principal));
        return 0;
    }

    static final class ComponentConverter implements picocli.CommandLine.ITypeConverter<AccessPlan.Component> {
        @Override
        public AccessPlan.Component convert(String value) {
            try {
                return AccessPlan.Component.valueOf(value.toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not one of processor, sink, producer, cli");
            }
        }
    }
}
