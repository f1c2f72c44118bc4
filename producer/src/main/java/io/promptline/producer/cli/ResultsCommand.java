package io.promptline.producer.cli;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.PromptResult;
import io.promptline.serde.AvroDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

@Command(name = "results", sortOptions = false,
        description = "Print results (and dead letters) of a tenant or of request ids: those already there with "
                + "--from-beginning, then new ones with --follow.")
class ResultsCommand implements Callable<Integer> {
    @Mixin
    Connection connection;
    @Spec
    CommandSpec spec;

    @Option(names = {"-t", "--tenant"}, description = "Only this tenant's.")
    String tenant;
    @Option(names = "--request-id", paramLabel = "ID", description = "Only these requests (repeatable).")
    Set<String> requestIds = Set.of();
    @Option(names = "--from-beginning", description = "Start from the oldest record kept, not from now.")
    boolean fromBeginning;
    @Option(names = {"-f", "--follow"}, description = "Keep printing new records until Ctrl-C (or until --limit).")
    boolean follow;
    @Option(names = "--limit", defaultValue = "0", description = "Stop after this many records (0: no limit).")
    long limit;
    @Option(names = "--no-dead-letters", description = "Results only.")
    boolean noDeadLetters;
    @Option(names = "--json", description = "One JSON object per record.")
    boolean json;

    boolean following() {
        return follow;
    }

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        var results = new AvroDeserializer<>(connection.registry(), PromptResult.class);
        var dead = new AvroDeserializer<>(connection.registry(), DeadLetter.class);
        String resultsTopic = connection.topics().results();
        List<String> topics = noDeadLetters ? List.of(resultsTopic) : List.of(resultsTopic, connection.topics().dlq());
        AtomicLong printed = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> stop.set(true)));
        TopicScan.follow(connection.kafka(), topics, fromBeginning, following(), () -> stop.get() || (limit > 0 && printed.get() >= limit), r -> {
            if (r.value() == null || (limit > 0 && printed.get() >= limit)) return;
            if (r.topic().equals(resultsTopic)) {
                PromptResult p = results.deserialize(r.topic(), r.value());
                if (!wanted(p.getTenant(), p.getRequestId())) return;
                out.println(json ? p.toString() : String.format("%s  %-12s %-36s %-18s %5d ms %2d call%s  %s", p.getCompletedAt(), p.getTenant(),
                        p.getRequestId(), p.getModel(), p.getCallLatencyMs(), p.getAttempts(), p.getAttempts() == 1 ? " " : "s",
                        preview(p.getContent())));
            } else {
                DeadLetter d = dead.deserialize(r.topic(), r.value());
                if (!wanted(d.getTenant(), d.getRequestId())) return;
                out.println(json ? d.toString() : String.format("%s  %-12s %-36s DEAD LETTER %s: %s", d.getFailedAt(), d.getTenant(),
                        d.getRequestId(), d.getCategory(), preview(d.getMessage())));
            }
            out.flush();
            printed.incrementAndGet();
        });
        return 0;
    }

    private boolean wanted(String t, String id) {
        return (tenant == null || tenant.equals(t)) && (requestIds.isEmpty() || requestIds.contains(id));
    }

    static String preview(String s) {
        if (s == null) return "";
        String one = s.replace('\n', ' ');
        return one.length() > 100 ? one.substring(0, 97) + "..." : one;
    }
}
