package io.promptline.producer.cli;

import io.promptline.topics.AccessPlan;
import io.promptline.topics.DurationFormat;
import io.promptline.topics.Topics;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code promptline acls processor --principal User:promptline-processor}: the Kafka ACLs one
 * component needs on a secured cluster, as {@code kafka-acls.sh} commands to run with an admin's
 * client settings; with {@code --apply} the CLI makes them itself (run as an admin), and with
 * {@code --password-file} first sets the principal's SCRAM-SHA-512 credential, which is how the
 * secured compose variant provisions its principals.
 */
@Command(name = "acls", description = "Print the kafka-acls.sh commands that grant one component exactly the ACLs it needs "
        + "(processor, sink, producer, cli, schema-registry), or with --apply make them; see OPERATIONS.md, 'Secured clusters'.")
final class AclsCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Mixin
    Connection connection;
    @Parameters(index = "0", paramLabel = "COMPONENT", description = "processor, sink, producer, cli or schema-registry.",
            converter = ComponentConverter.class)
    AccessPlan.Component component;
    @Option(names = "--principal", required = true, paramLabel = "User:NAME", description = "The component's Kafka principal, e.g. User:promptline-processor.")
    String principal;
    @Option(names = "--apply", description = "Create the ACLs on the cluster (with this CLI's Kafka settings, PROMPTLINE_KAFKA_*: an admin's) "
            + "instead of printing kafka-acls.sh commands. Creating an ACL that exists changes nothing.")
    boolean apply;
    @Option(names = "--password-file", paramLabel = "FILE", description = "With --apply: first set the principal's SCRAM-SHA-512 "
            + "password to this file's content (the file, not the command line, so it shows in no process list).")
    Path passwordFile;
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
    @Option(names = "--triage-group", paramLabel = "GROUP", description = "With the sink's dead-letter triage on: its "
            + "promptline.triage.group.id (e.g. promptline-triage); adds WRITE on the urgent tier and READ on the group.")
    String triageGroup;

    @Override
    public Integer call() throws Exception {
        if (!principal.contains(":")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--principal must be TYPE:NAME, e.g. User:promptline-processor");
        }
        if (passwordFile != null && !apply) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--password-file needs --apply");
        }
        Topics topics = connection.topics();
        List<Duration> ladder = retryDelays.stream().map(DurationFormat::parse).toList();
        List<AccessPlan.Grant> grants = switch (component) {
            case PROCESSOR -> AccessPlan.processor(topics, applicationId, ladder);
            case SINK -> triageGroup == null ? AccessPlan.sink(topics, sinkGroup, alertsGroup, rollupApplicationId)
                    : java.util.stream.Stream.concat(AccessPlan.sink(topics, sinkGroup, alertsGroup, rollupApplicationId).stream(),
                    AccessPlan.triage(topics, triageGroup).stream()).toList();
            case PRODUCER -> AccessPlan.producer(topics);
            case CLI -> AccessPlan.cli(topics);
            case SCHEMA_REGISTRY -> AccessPlan.schemaRegistry(AccessPlan.REGISTRY_TOPIC, AccessPlan.REGISTRY_GROUP);
        };
        PrintWriter out = spec.commandLine().getOut();
        String name = component.name().toLowerCase(Locale.ROOT).replace('_', '-');
        if (apply) {
            apply(grants);
            out.println("applied " + grants.size() + " ACLs for the " + name + " as " + principal
                    + (passwordFile == null ? "" : ", its SCRAM-SHA-512 credential set"));
            return 0;
        }
        out.println("# " + grants.size() + " ACLs for the " + name + " as " + principal);
        for (AccessPlan.Grant g : grants) out.println(g.command(principal));
        return 0;
    }

    private void apply(List<AccessPlan.Grant> grants) throws Exception {
        try (Admin admin = Admin.create(connection.kafka())) {
            if (passwordFile != null) {
                String password = Files.readString(passwordFile).strip();
                if (password.isEmpty()) throw new IllegalArgumentException("the password file " + passwordFile + " is empty");
                String user = principal.substring(principal.indexOf(':') + 1);
                admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(user,
                        new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS), password))).all().get(60, TimeUnit.SECONDS);
            }
            admin.createAcls(grants.stream().map(g -> g.binding(principal)).toList()).all().get(60, TimeUnit.SECONDS);
        }
    }

    /** Kafka's default for SCRAM-SHA-512 credentials made with kafka-configs.sh. */
    private static final int SCRAM_ITERATIONS = 4096;

    static final class ComponentConverter implements picocli.CommandLine.ITypeConverter<AccessPlan.Component> {
        @Override
        public AccessPlan.Component convert(String value) {
            try {
                return AccessPlan.Component.valueOf(value.toUpperCase(Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not one of processor, sink, producer, cli, schema-registry");
            }
        }
    }
}
