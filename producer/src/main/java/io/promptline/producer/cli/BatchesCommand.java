package io.promptline.producer.cli;

import io.promptline.avro.BatchCommand;
import io.promptline.avro.BatchJobStatus;
import io.promptline.serde.AvroDeserializer;
import io.promptline.serde.AvroSerializer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "batches", description = {"Batch API jobs of the batch tier: list them, show one, cancel one.",
        "Their states come from llm.batch.jobs; a cancel goes to the job's task through llm.batch.commands."},
        subcommands = {BatchesCommand.ListJobs.class, BatchesCommand.Show.class, BatchesCommand.Cancel.class})
final class BatchesCommand {

    /** The latest state of every job. */
    static Map<String, BatchJobStatus> jobs(Connection connection) {
        var decoder = new AvroDeserializer<>(connection.registry(), BatchJobStatus.class);
        Map<String, BatchJobStatus> latest = new LinkedHashMap<>();
        TopicScan.toEnd(connection.kafka(), List.of(connection.topics().batchJobs()), r -> {
            if (r.key() == null) return;
            String key = new String(r.key(), StandardCharsets.UTF_8);
            if (r.value() == null) latest.remove(key);
            else latest.put(key, decoder.deserialize(r.topic(), r.value()));
        });
        return latest;
    }

    static BatchJobStatus job(Connection connection, CommandSpec spec, String id) {
        BatchJobStatus j = jobs(connection).get(id);
        if (j == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "no batch job '" + id + "' in "
                    + connection.topics().batchJobs() + " (see 'promptline batches list --all')");
        }
        return j;
    }

    @Command(name = "list", description = "Jobs not done yet (with --all, every job still in the compacted topic).")
    static final class ListJobs implements Callable<Integer> {
        @Mixin
        Connection connection;
        @Spec
        CommandSpec spec;
        @Option(names = "--all", description = "Include jobs that are done.")
        boolean all;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            List<BatchJobStatus> shown = jobs(connection).values().stream().filter(j -> all || !"DONE".equals(j.getState()))
                    .sorted(Comparator.comparing(BatchJobStatus::getCreatedAt)).toList();
            out.printf("%-34s %-9s %-18s %8s %-22s %-11s %8s %8s %6s  %s%n", "JOB", "STATE", "MODEL", "REQUESTS", "PROVIDER BATCH",
                    "STATUS", "ANSWERED", "RETURNED", "DLQ", "UPDATED");
            for (BatchJobStatus j : shown) {
                out.printf("%-34s %-9s %-18s %8d %-22s %-11s %8d %8d %6d  %s%n", j.getJobId(), j.getState(), j.getModel(), j.getRequests(),
                        j.getProviderBatchId() == null ? "-" : j.getProviderBatchId(), j.getProviderStatus() == null ? "-" : j.getProviderStatus(),
                        j.getAnswered(), j.getReturned(), j.getDeadLettered(), j.getUpdatedAt());
            }
            if (shown.isEmpty()) out.println(all ? "(no batch job)" : "(no batch job open; --all shows those done)");
            return 0;
        }
    }

    @Command(name = "show", description = "Everything known of one job.")
    static final class Show implements Callable<Integer> {
        @Mixin
        Connection connection;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "JOB", description = "The job id, as 'batches list' shows it.")
        String id;

        @Override
        public Integer call() {
            BatchJobStatus j = job(connection, spec, id);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("job            %s (tier %s, task %d)%n", j.getJobId(), j.getTier(), j.getTaskPartition());
            out.printf("state          %s%s%n", j.getState(), j.getCancelRequested() ? " (cancel requested)" : "");
            out.printf("model          %s at %s%n", j.getModel(), j.getProvider());
            out.printf("requests       %d (%d bytes of JSONL)%n", j.getRequests(), j.getBytes());
            out.printf("created        %s%n", j.getCreatedAt());
            out.printf("submitted      %s%n", j.getSubmittedAt() == null ? "-" : j.getSubmittedAt());
            out.printf("ended          %s%n", j.getEndedAt() == null ? "-" : j.getEndedAt());
            out.printf("provider batch %s, status %s, %d completed, %d failed%n", j.getProviderBatchId() == null ? "-" : j.getProviderBatchId(),
                    j.getProviderStatus() == null ? "-" : j.getProviderStatus(), j.getProviderCompleted(), j.getProviderFailed());
            out.printf("outcomes       %d answered, %d back to synchronous calls, %d dead-lettered%n", j.getAnswered(), j.getReturned(),
                    j.getDeadLettered());
            if (j.getMessage() != null) out.printf("message        %s%n", j.getMessage());
            out.printf("updated        %s%n", j.getUpdatedAt());
            return 0;
        }
    }

    @Command(name = "cancel", description = {"Cancel a job: a submitted batch is cancelled at the provider, a job not yet submitted at once.",
            "Its unanswered requests follow promptline.processor.batch.api.on.failure (synchronous calls or the DLQ)."})
    static final class Cancel implements Callable<Integer> {
        @Mixin
        Connection connection;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "JOB", description = "The job id, as 'batches list' shows it.")
        String id;

        @Override
        public Integer call() throws Exception {
            BatchJobStatus j = job(connection, spec, id);
            PrintWriter out = spec.commandLine().getOut();
            if ("DONE".equals(j.getState())) {
                out.printf("Job %s is done (%d answered, %d returned, %d dead-lettered): nothing to cancel%n", id, j.getAnswered(),
                        j.getReturned(), j.getDeadLettered());
                return 1;
            }
            BatchCommand command = BatchCommand.newBuilder().setJobId(id).setAction("CANCEL")
                    .setRequestedBy(System.getProperty("user.name")).setRequestedAt(Instant.now()).build();
            try (KafkaProducer<String, BatchCommand> p = new KafkaProducer<>(connection.kafka(), new StringSerializer(),
                    new AvroSerializer<>(connection.registry(), true))) {
                p.send(new ProducerRecord<>(connection.topics().batchCommands(), j.getTaskPartition(), id, command)).get(30, TimeUnit.SECONDS);
            }
            out.printf("Cancel of %s (%s) sent to its task; 'promptline batches show %s' follows it%n", id, j.getState(), id);
            return 0;
        }
    }
}
