package io.promptline.producer.cli;

import io.promptline.avro.BillingMode;
import io.promptline.avro.CostEvent;
import io.promptline.avro.TokenUsage;
import io.promptline.pricing.Price;
import io.promptline.pricing.PriceTable;
import io.promptline.serde.AvroDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * What the recorded calls would cost at other prices: reads the cost events (llm.costs) of a period
 * and prices each again with a new table (the row in effect at the call's time, its billing mode),
 * reporting per tenant and model the recorded and the repriced totals. It writes nothing: the record
 * stays as it was.
 */
@Command(name = "reprice", sortOptions = false, mixinStandardHelpOptions = true,
        description = {"Reprice recorded calls: per tenant and model, what they cost as recorded and what they would cost with",
                "another price table (the row in effect when each call was made, at its billing mode). Reads llm.costs; writes nothing."})
final class RepriceCommand implements Callable<Integer> {
    @Mixin
    Connection connection;
    @Spec
    CommandSpec spec;

    @Option(names = "--prices", required = true, description = "The price table to apply (JSON, as promptline.processor.price.table).")
    Path prices;
    @Option(names = "--since", required = true, converter = Converters.InstantConverter.class,
            description = "Start of the period: 2026-11-01, 2026-11-01T00:00:00Z, or a duration back from now such as 30d.")
    Instant since;
    @Option(names = "--until", converter = Converters.InstantConverter.class, description = "End of the period (default: now).")
    Instant until;
    @Option(names = {"-t", "--tenant"}, description = "Only this tenant.")
    String tenant;

    /** One line of the report: tenant, model, the recorded currency and the new one. */
    record Line(long calls, long recordedMicros, long repricedMicros, long unpricedBefore, long unpricedAfter, long estimated) {
        static final Line ZERO = new Line(0, 0, 0, 0, 0, 0);

        Line plus(CostEvent e, Long repriced) {
            return new Line(calls + 1, Math.addExact(recordedMicros, e.getCostMicros()),
                    repriced == null ? repricedMicros : Math.addExact(repricedMicros, repriced), unpricedBefore + (e.getUnpriced() ? 1 : 0),
                    unpricedAfter + (repriced == null ? 1 : 0), estimated + (e.getUsageEstimated() ? 1 : 0));
        }
    }

    @Override
    public Integer call() {
        Instant end = until != null ? until : Instant.now();
        if (!since.isBefore(end)) throw new ParameterException(spec.commandLine(), "--since " + since + " is not before --until " + end);
        PriceTable table;
        try {
            table = PriceTable.load(prices);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        var decoder = new AvroDeserializer<>(connection.registry(), CostEvent.class);
        Map<String, Line> lines = new TreeMap<>();
        long[] read = {0};
        long[] lastReport = {System.nanoTime()};
        PrintWriter err = spec.commandLine().getErr();
        TopicScan.toEnd(connection.kafka(), List.of(connection.topics().costs()), r -> {
            read[0]++;
            if (System.nanoTime() - lastReport[0] > 5_000_000_000L) {
                err.printf("... %,d cost events read%n", read[0]);
                err.flush();
                lastReport[0] = System.nanoTime();
            }
            if (r.value() == null) return;
            CostEvent e = decoder.deserialize(r.topic(), r.value());
            if (tenant != null && !tenant.equals(e.getTenant())) return;
            if (e.getTimestamp().isBefore(since) || !e.getTimestamp().isBefore(end)) return;
            Optional<Price> p = table.find(e.getProvider(), e.getModel(), e.getTimestamp());
            Long repriced = p.map(price -> price.costMicros(usage(e), e.getBillingMode() == null ? BillingMode.SYNC : e.getBillingMode()))
                    .orElse(null);
            String newCurrency = p.map(Price::currency).orElse("-");
            String key = String.join("\u0000", e.getTenant(), e.getModel(), e.getCurrency(), newCurrency);
            lines.merge(key, Line.ZERO.plus(e, repriced), (a, b) -> new Line(a.calls + b.calls, a.recordedMicros + b.recordedMicros,
                    a.repricedMicros + b.repricedMicros, a.unpricedBefore + b.unpricedBefore, a.unpricedAfter + b.unpricedAfter,
                    a.estimated + b.estimated));
        });
        report(lines, end, table, read[0]);
        return 0;
    }

    private static TokenUsage usage(CostEvent e) {
        return TokenUsage.newBuilder().setPromptTokens(e.getPromptTokens()).setCachedTokens(e.getCachedTokens())
                .setCacheWriteTokens(e.getCacheWriteTokens()).setCompletionTokens(e.getCompletionTokens())
                .setReasoningTokens(e.getReasoningTokens()).build();
    }

    private void report(Map<String, Line> lines, Instant end, PriceTable table, long read) {
        PrintWriter out = spec.commandLine().getOut();
        out.printf("Calls from %s to %s%s, repriced with %s (table %s); %,d cost events read%n", since, end,
                tenant == null ? "" : " for " + tenant, prices, table.version(), read);
        out.printf("%-16s %-20s %8s %-4s %16s %-4s %16s %16s %9s %9s%n", "TENANT", "MODEL", "CALLS", "CUR", "RECORDED", "NEW", "REPRICED",
                "DIFFERENCE", "UNPRICED", "ESTIMATED");
        Map<String, long[]> totals = new TreeMap<>();
        lines.forEach((k, l) -> {
            String[] p = k.split("\u0000");
            boolean same = p[2].equals(p[3]);
            out.printf("%-16s %-20s %8d %-4s %16s %-4s %16s %16s %9s %9d%n", p[0], p[1], l.calls, p[2], Money.format(l.recordedMicros), p[3],
                    Money.format(l.repricedMicros), same ? Money.format(l.repricedMicros - l.recordedMicros) : "n/a",
                    l.unpricedBefore + "→" + l.unpricedAfter, l.estimated);
            totals.computeIfAbsent("recorded " + p[2], c -> new long[1])[0] += l.recordedMicros;
            if (!p[3].equals("-")) totals.computeIfAbsent("repriced " + p[3], c -> new long[1])[0] += l.repricedMicros;
        });
        if (lines.isEmpty()) out.println("(no cost event in this period)");
        totals.forEach((k, v) -> out.printf("Total %s %s (%d micro-units)%n", k, Money.format(v[0]), v[0]));
        out.println("UNPRICED: calls without a price as recorded → with the new table. ESTIMATED: calls billed on estimated usage.");
    }
}
