package io.promptline.producer.cli;

import io.promptline.avro.DeadLetter;
import io.promptline.avro.ErrorCategory;
import io.promptline.producer.PromptlineProducer;
import io.promptline.serde.AvroDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

@Command(name = "dlq", description = "Inspect dead letters and send chosen ones back to their tier.",
        subcommands = {DlqCommand.ListCommand.class, DlqCommand.ShowCommand.class, DlqCommand.RedriveCommand.class})
final class DlqCommand {

    /** Filters shared by list and redrive. */
    static final class Filter {
        @Option(names = {"-c", "--category"}, paramLabel = "CATEGORY", description = "Only these categories (repeatable), e.g. RATE_LIMIT.")
        Set<ErrorCategory> categories = Set.of();
        @Option(names = {"-t", "--tenant"}, description = "Only this tenant's.")
        String tenant;
        @Option(names = "--request-id", paramLabel = "ID", description = "Only these requests (repeatable).")
        Set<String> requestIds = Set.of();
        @Option(names = "--since", converter = Converters.DurationConverter.class,
                description = "Only those dead-lettered within this long, e.g. 2h.")
        Duration since;

        boolean any() {
            return !categories.isEmpty() || tenant != null || !requestIds.isEmpty() || since != null;
        }

        boolean matches(DeadLetter d) {
            return (categories.isEmpty() || categories.contains(d.getCategory()))
                    && (tenant == null || tenant.equals(d.getTenant()))
                    && (requestIds.isEmpty() || requestIds.contains(d.getRequestId()))
                    && (since == null || d.getFailedAt().isAfter(Instant.now().minus(since)));
        }
    }

    /** A dead letter and where it is in the DLQ. */
    record Located(int partition, long offset, DeadLetter letter) {
    }

    static List<Located> read(Connection connection, Filter filter) {
        var decoder = new AvroDeserializer<>(connection.registry(), DeadLetter.class);
        List<Located> out = new ArrayList<>();
        TopicScan.toEnd(connection.kafka(), List.of(connection.topics().dlq()), r -> {
            if (r.value() == null) return;
            DeadLetter d = decoder.deserialize(r.topic(), r.value());
            if (filter.matches(d)) out.add(new Located(r.partition(), r.offset(), d));
        });
        return out;
    }

    @Command(name = "list", description = "List dead letters, newest last, with a count per category.")
    static final class ListCommand implements Callable<Integer> {
        @Mixin
        Connection connection;
        @Mixin
        Filter filter;
        @Spec
        CommandSpec spec;
        @Option(names = "--limit", defaultValue = "50", description = "Show at most the last N (default ${DEFAULT-VALUE}; 0: all).")
        int limit;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            List<Located> all = read(connection, filter);
            Map<ErrorCategory, Integer> counts = new TreeMap<>();
            all.forEach(l -> counts.merge(l.letter().getCategory(), 1, Integer::sum));
            List<Located> shown = limit > 0 && all.size() > limit ? all.subList(all.size() - limit, all.size()) : all;
            out.printf("%-9s %-24s %-12s %-36s %-17s %6s %3s  %s%n", "POSITION", "FAILED AT", "TENANT", "REQUEST ID", "CATEGORY",
                    "STATUS", "TRY", "MESSAGE");
            for (Located l : shown) {
                DeadLetter d = l.letter();
                out.printf("%-9s %-24s %-12s %-36s %-17s %6s %3d  %s%n", l.partition() + ":" + l.offset(), d.getFailedAt(), d.getTenant(),
                        d.getRequestId() == null ? "(undecodable)" : d.getRequestId(), d.getCategory(),
                        d.getHttpStatus() == null ? "-" : d.getHttpStatus().toString(), d.getAttempts(), ResultsCommand.preview(d.getMessage()));
            }
            out.printf("%d dead letter%s%s: %s%n", all.size(), all.size() == 1 ? "" : "s",
                    shown.size() < all.size() ? " (last " + shown.size() + " shown)" : "", counts);
            return 0;
        }
    }

    @Command(name = "show", description = "Show one dead letter in full: by request id, or by POSITION (partition:offset).")
    static final class ShowCommand implements Callable<Integer> {
        @Mixin
        Connection connection;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "ID|PARTITION:OFFSET")
        String which;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            Filter all = new Filter();
            List<Located> found = read(connection, all).stream().filter(l -> which.equals(l.partition() + ":" + l.offset())
                    || which.equals(l.letter().getRequestId())).toList();
            if (found.isEmpty()) {
                spec.commandLine().getErr().println("promptline dlq show: no dead letter with request id or position '" + which + "'");
                return 1;
            }
            for (Located l : found) out.printf("position %d:%d%n%s%n", l.partition(), l.offset(), l.letter());
            return 0;
        }
    }

    @Command(name = "redrive", description = {"Send dead-lettered requests back to their tier to be called again.",
            "Requests that could not be decoded (MALFORMED_INPUT) have nothing to send and are reported."})
    static final class RedriveCommand implements Callable<Integer> {
        @Mixin
        Connection connection;
        @Mixin
        Filter filter;
        @Spec
        CommandSpec spec;
        @Option(names = "--all", description = "Redrive every dead letter (required when no filter is given).")
        boolean all;
        @Option(names = "--dry-run", description = "Only say what would be sent.")
        boolean dryRun;

        @Override
        public Integer call() throws Exception {
            PrintWriter out = spec.commandLine().getOut();
            if (!filter.any() && !all) {
                spec.commandLine().getErr().println("promptline dlq redrive: choose what to redrive (--category, --tenant, --request-id, --since) or say --all");
                return 2;
            }
            List<Located> chosen = read(connection, filter);
            List<Located> sendable = chosen.stream().filter(l -> l.letter().getRequest() != null).toList();
            // The same request dead-lettered several times is sent once.
            Map<String, Located> latest = new TreeMap<>();
            sendable.forEach(l -> latest.put(l.letter().getRequestId(), l));
            int undecodable = chosen.size() - sendable.size();
            if (dryRun) {
                latest.values().forEach(l -> out.printf("would redrive %s (%s) to %s%n", l.letter().getRequestId(), l.letter().getCategory(),
                        connection.topics().requests(l.letter().getRequest().getPriority())));
            } else {
                try (PromptlineProducer producer = connection.producer()) {
                    List<CompletableFuture<String>> sent = new ArrayList<>();
                    for (Located l : latest.values()) sent.add(producer.redrive(l.letter().getRequest(), "dlq " + l.partition() + ":" + l.offset()));
                    for (CompletableFuture<String> f : sent) f.get(60, TimeUnit.SECONDS);
                }
            }
            out.printf("%s %d request%s to their tiers%s%n", dryRun ? "Would redrive" : "Redrove", latest.size(), latest.size() == 1 ? "" : "s",
                    undecodable > 0 ? "; " + undecodable + " undecodable dead letters (MALFORMED_INPUT) have no request to send" : "");
            return 0;
        }
    }
}
