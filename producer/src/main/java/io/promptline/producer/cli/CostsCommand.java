package io.promptline.producer.cli;

import io.promptline.avro.CostRollup;
import io.promptline.serde.AvroDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

@Command(name = "costs", sortOptions = false, subcommands = RepriceCommand.class,
        description = {"Spend and tokens per tenant and model over a period, from the hourly cost roll-up (llm.costs.hourly).",
                "Hours are counted whole: a period starting mid-hour includes that hour.",
                "'costs reprice' prices the recorded calls again with another table."})
final class CostsCommand implements Callable<Integer> {
    @Mixin
    Connection connection;
    @Spec
    CommandSpec spec;

    @Option(names = {"-t", "--tenant"}, description = "Only this tenant.")
    String tenant;
    @Option(names = "--since", defaultValue = "24h", converter = Converters.DurationConverter.class,
            description = "The period up to now (default ${DEFAULT-VALUE}); ignored with --from.")
    Duration since;
    @Option(names = "--from", description = "Start of the period, ISO-8601 (e.g. 2026-11-01T00:00:00Z).")
    Instant from;
    @Option(names = "--to", description = "End of the period, ISO-8601 (default: now).")
    Instant to;

    record Total(long calls, long prompt, long cached, long completion, long micros) {
        Total plus(CostRollup r) {
            return new Total(calls + r.getCalls(), prompt + r.getPromptTokens(), cached + r.getCachedTokens(),
                    completion + r.getCompletionTokens(), Math.addExact(micros, r.getCostMicros()));
        }
    }

    @Override
    public Integer call() {
        Instant end = to != null ? to : Instant.now();
        Instant start = (from != null ? from : end.minus(since)).truncatedTo(ChronoUnit.HOURS);
        var decoder = new AvroDeserializer<>(connection.registry(), CostRollup.class);
        // The topic is compacted and carries running totals: the last record of each key is its hour's total.
        Map<String, CostRollup> latest = new HashMap<>();
        TopicScan.toEnd(connection.kafka(), List.of(connection.topics().costsHourly()), r -> {
            if (r.key() == null) return;
            String key = new String(r.key(), StandardCharsets.UTF_8);
            if (r.value() == null) latest.remove(key);
            else latest.put(key, decoder.deserialize(r.topic(), r.value()));
        });
        Map<String, Total> byLine = new TreeMap<>();
        Map<String, Long> byCurrency = new TreeMap<>();
        for (CostRollup r : latest.values()) {
            if (tenant != null && !tenant.equals(r.getTenant())) continue;
            if (r.getWindowStart().isBefore(start) || !r.getWindowStart().isBefore(end)) continue;
            byLine.compute(r.getTenant() + "\u0000" + r.getModel() + "\u0000" + r.getCurrency(),
                    (k, t) -> (t == null ? new Total(0, 0, 0, 0, 0) : t).plus(r));
            byCurrency.merge(r.getCurrency(), r.getCostMicros(), Math::addExact);
        }
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Costs from %s to %s%s%n", start, end, tenant == null ? "" : " for " + tenant);
        out.printf("%-16s %-20s %-4s %8s %14s %12s %14s %16s%n", "TENANT", "MODEL", "CUR", "CALLS", "PROMPT TOKENS", "CACHED", "COMPLETION", "COST");
        byLine.forEach((k, t) -> {
            String[] p = k.split("\u0000");
            out.printf("%-16s %-20s %-4s %8d %14d %12d %14d %16s%n", p[0], p[1], p[2], t.calls, t.prompt, t.cached, t.completion,
                    Money.format(t.micros));
        });
        if (byLine.isEmpty()) out.println("(no cost in this period)");
        byCurrency.forEach((c, m) -> out.printf("Total %s %s (%d micro-units)%n", c, Money.format(m), m));
        return 0;
    }
}
