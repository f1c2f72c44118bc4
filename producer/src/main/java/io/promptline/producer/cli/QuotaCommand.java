package io.promptline.producer.cli;

import io.promptline.avro.BudgetPeriod;
import io.promptline.avro.Priority;
import io.promptline.avro.Quota;
import io.promptline.avro.TierLimit;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

@Command(name = "quota", description = "Read and change a tenant's limits and budget (the compacted quotas topic; applied without restart).",
        subcommands = {QuotaCommand.Get.class, QuotaCommand.Set.class})
final class QuotaCommand {

    static Quota current(Connection connection, String tenant) {
        var decoder = new AvroDeserializer<>(connection.registry(), Quota.class);
        Quota[] found = new Quota[1];
        TopicScan.toEnd(connection.kafka(), List.of(connection.topics().quotas()), r -> {
            String key = r.key() == null ? null : new String(r.key(), java.nio.charset.StandardCharsets.UTF_8);
            if (!tenant.equals(key)) return;
            found[0] = r.value() == null ? null : decoder.deserialize(r.topic(), r.value());
        });
        return found[0];
    }

    static void print(PrintWriter out, String tenant, Quota q) {
        if (q == null) {
            out.printf("%s: no quota; the processor's default limits apply and there is no budget%n", tenant);
            return;
        }
        out.printf("%s (updated %s)%n", tenant, q.getUpdatedAt());
        for (TierLimit l : q.getLimits()) {
            out.printf("  %-7s requests/min %-12s tokens/min %s%n", l.getPriority().name().toLowerCase(Locale.ROOT),
                    l.getRequestsPerMinute() == null ? "default" : l.getRequestsPerMinute(),
                    l.getTokensPerMinute() == null ? "default" : l.getTokensPerMinute());
        }
        if (q.getLimits().isEmpty()) out.println("  limits: the processor's defaults on every tier");
        out.println(q.getBudgetMicros() == null ? "  budget: none"
                : String.format("  budget: %d micro-%s %s (%s %s)", q.getBudgetMicros(), q.getBudgetCurrency(),
                q.getBudgetPeriod().name().toLowerCase(Locale.ROOT), Money.format(q.getBudgetMicros()), q.getBudgetCurrency()));
    }

    @Command(name = "get", description = "Show a tenant's limits and budget.")
    static final class Get implements Callable<Integer> {
        @Mixin
        Connection connection;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "TENANT")
        String tenant;

        @Override
        public Integer call() {
            print(spec.commandLine().getOut(), tenant, current(connection, tenant));
            return 0;
        }
    }

    @Command(name = "set", sortOptions = false, description = {"Change a tenant's limits on a tier and/or its budget; what is not given is kept.",
            "A limit of 0 means unlimited; 'default' puts the processor's default back."})
    static final class Set implements Callable<Integer> {
        @Mixin
        Connection connection;
        @Spec
        CommandSpec spec;
        @Parameters(paramLabel = "TENANT")
        String tenant;
        @Option(names = "--tier", converter = Converters.PriorityConverter.class, description = "Tier of the limits to set.")
        Priority tier;
        @Option(names = {"--requests-per-minute", "--rpm"}, description = "Requests per minute on --tier (a number, or default).")
        String requestsPerMinute;
        @Option(names = {"--tokens-per-minute", "--tpm"}, description = "Tokens per minute on --tier (a number, or default).")
        String tokensPerMinute;
        @Option(names = "--budget", description = "Spend allowed per period in currency units, e.g. 25.50 (stored as micro-units).")
        String budget;
        @Option(names = "--currency", description = "Budget currency, e.g. USD or CNY (default: kept, else USD).")
        String currency;
        @Option(names = "--period", description = "daily or monthly (default: kept, else monthly).")
        String period;
        @Option(names = "--no-budget", description = "Remove the budget.")
        boolean noBudget;

        @Override
        public Integer call() throws Exception {
            if ((requestsPerMinute != null || tokensPerMinute != null) && tier == null) {
                throw new IllegalArgumentException("--requests-per-minute and --tokens-per-minute need --tier urgent|normal|batch");
            }
            Quota old = current(connection, tenant);
            Quota.Builder q = old == null ? Quota.newBuilder().setTenant(tenant) : Quota.newBuilder(old);
            List<TierLimit> limits = new ArrayList<>(q.hasLimits() ? q.getLimits() : List.of());
            if (tier != null) {
                TierLimit existing = limits.stream().filter(l -> l.getPriority() == tier).findFirst().orElse(new TierLimit(tier, null, null));
                limits.remove(existing);
                limits.add(new TierLimit(tier, limit("--requests-per-minute", requestsPerMinute, existing.getRequestsPerMinute()),
                        limit("--tokens-per-minute", tokensPerMinute, existing.getTokensPerMinute())));
            }
            q.setLimits(limits);
            if (noBudget) q.setBudgetMicros(null);
            if (budget != null) q.setBudgetMicros(Money.parseMicros("--budget", budget));
            if (currency != null) {
                if (!currency.matches("[A-Za-z]{3}")) throw new IllegalArgumentException("--currency must be a 3-letter code such as USD, was '" + currency + "'");
                q.setBudgetCurrency(currency.toUpperCase(Locale.ROOT));
            }
            if (period != null) {
                try {
                    q.setBudgetPeriod(BudgetPeriod.valueOf(period.toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("--period must be daily or monthly, was '" + period + "'");
                }
            }
            Quota updated = q.setUpdatedAt(Instant.now()).build();
            try (KafkaProducer<String, Quota> p = new KafkaProducer<>(connection.kafka(), new StringSerializer(),
                    new AvroSerializer<>(connection.registry(), true))) {
                p.send(new ProducerRecord<>(connection.topics().quotas(), tenant, updated)).get(30, TimeUnit.SECONDS);
            }
            print(spec.commandLine().getOut(), tenant, updated);
            return 0;
        }

        private static Long limit(String option, String value, Long keep) {
            if (value == null) return keep;
            if (value.equalsIgnoreCase("default")) return null;
            try {
                long n = Long.parseLong(value.trim());
                if (n < 0) throw new NumberFormatException();
                return n;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException(option + " must be a whole number >= 0 or 'default', was '" + value + "'");
            }
        }
    }
}
