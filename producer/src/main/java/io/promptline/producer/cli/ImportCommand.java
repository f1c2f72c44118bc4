package io.promptline.producer.cli;

import io.promptline.avro.Priority;
import io.promptline.producer.imports.ImportRow;
import io.promptline.producer.imports.ImportSource;
import io.promptline.producer.imports.Importer;
import io.promptline.producer.imports.RowMapping;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

@Command(name = "import", sortOptions = false,
        description = {"Stream a JSONL or CSV file, or the rows of a JDBC query, into a tier topic.",
                "Each record needs a 'prompt' (or 'text'); optional: id, tenant, model, task_type, system, max_tokens,",
                "temperature, metadata (JSON object). Bad records are reported with their line numbers; the good ones still go.",
                "Interrupted (Ctrl-C, a crash)? Run the same command again: it resumes after the last committed line,",
                "and publishes each line exactly once."})
final class ImportCommand implements Callable<Integer> {
    @Mixin
    Connection connection;
    @Spec
    CommandSpec spec;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Source source;

    static final class Source {
        @Parameters(paramLabel = "FILE", description = "A .jsonl or .csv file.")
        Path file;
        @Option(names = "--jdbc-url", description = "Import the rows of --query from this database instead of a file.")
        String jdbcUrl;
    }

    @Option(names = "--query", description = "SQL of the rows to import (with --jdbc-url).")
    String query;
    @Option(names = "--jdbc-user", defaultValue = "${env:PROMPTLINE_IMPORT_JDBC_USER:-postgres}",
            description = "Database user (env PROMPTLINE_IMPORT_JDBC_USER; default ${DEFAULT-VALUE}). The password comes from "
                    + "PROMPTLINE_IMPORT_JDBC_PASSWORD or the file named by PROMPTLINE_IMPORT_JDBC_PASSWORD_FILE.")
    String jdbcUser;
    @Option(names = "--format", description = "jsonl or csv (default: from the file name).")
    String format;
    @Option(names = {"-t", "--tenant"}, description = "Tenant of records without a 'tenant' field.")
    String tenant;
    @Option(names = {"-p", "--priority"}, defaultValue = "BATCH", converter = Converters.PriorityConverter.class,
            description = "Tier to publish to (default ${DEFAULT-VALUE}).")
    Priority priority;
    @Option(names = {"-m", "--model"}, description = "Model of records without a 'model' field.")
    String model;
    @Option(names = "--task-type", description = "Task type of records without one.")
    String taskType;
    @Option(names = {"-s", "--system"}, description = "System message of records without a 'system' field.")
    String system;
    @Option(names = "--max-tokens", description = "max_tokens of records without one.")
    Integer maxTokens;
    @Option(names = "--rate", defaultValue = "0", description = "At most this many records per second (0: as fast as Kafka takes them).")
    double rate;
    @Option(names = "--import-id", description = "Names this import for resumption and request ids (default: from the file's path, "
            + "or the JDBC URL and query).")
    String importId;
    @Option(names = "--bad-lines", description = "Also write the bad records' line numbers and reasons to this file.")
    Path badLinesFile;
    @Option(names = "--no-progress", description = "No progress bar (for scripts and logs).")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
        PrintWriter err = spec.commandLine().getErr();
        PrintWriter out = spec.commandLine().getOut();
        String id = importId != null ? importId : defaultImportId();
        RowMapping mapping = new RowMapping(id, tenant, priority, model, taskType, system, maxTokens);
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            stop.set(true);
            try {
                finished.await(15, TimeUnit.SECONDS); // let the open transaction commit
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "promptline-import-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        Importer.Report report;
        try (ImportSource src = open(); ProgressBar bar = progressBar(src.total())) {
            Importer importer = new Importer(connection.kafka(), connection.registry(), connection.topics(), Clock.systemUTC())
                    .tenantSecrets(connection.tenantSecrets());
            report = importer.run(src, mapping, rate, stop::get, (line, published, bad) -> {
                if (bar != null) {
                    bar.stepTo(line);
                    bar.setExtraMessage(bad > 0 ? ", " + bad + " bad" : "");
                }
            });
        } finally {
            finished.countDown();
        }
        if (!stop.get()) Runtime.getRuntime().removeShutdownHook(hook);
        out.printf(Locale.ROOT, "%s: published %,d requests to %s in %.1f s (%,.0f/s)%s%s; import id %s%n",
                report.interrupted() ? "Interrupted" : "Done", report.published(), connection.topics().requests(priority),
                report.seconds(), report.ratePerSecond(),
                report.skippedAlreadyDone() > 0 ? "; " + report.skippedAlreadyDone() + " already imported before, skipped" : "",
                report.badLines().isEmpty() ? "" : "; " + report.badLines().size() + " bad", id);
        if (report.interrupted()) out.println("Run the same command again to resume after line " + report.lastLine() + ".");
        reportBadLines(report, err);
        return report.badLines().isEmpty() ? 0 : 1;
    }

    private ImportSource open() {
        if (source.jdbcUrl != null) {
            if (query == null) throw new IllegalArgumentException("--jdbc-url needs --query with the rows to import");
            return ImportSource.jdbc(source.jdbcUrl, jdbcUser, jdbcPassword(), query);
        }
        String f = format != null ? format : source.file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".csv") ? "csv" : "jsonl";
        return switch (f.toLowerCase(Locale.ROOT)) {
            case "csv" -> ImportSource.csv(source.file);
            case "jsonl", "ndjson", "json" -> ImportSource.jsonl(source.file);
            default -> throw new IllegalArgumentException("--format must be jsonl or csv, was '" + f + "'");
        };
    }

    private static String jdbcPassword() {
        String p = System.getenv("PROMPTLINE_IMPORT_JDBC_PASSWORD");
        String file = System.getenv("PROMPTLINE_IMPORT_JDBC_PASSWORD_FILE");
        if (p == null && file != null) {
            try {
                p = Files.readString(Path.of(file)).trim();
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read PROMPTLINE_IMPORT_JDBC_PASSWORD_FILE " + file + ": " + e.getMessage());
            }
        }
        return p == null ? "" : p;
    }

    private String defaultImportId() throws NoSuchAlgorithmException {
        String what = source.jdbcUrl != null ? source.jdbcUrl + "\n" + query : source.file.toAbsolutePath().normalize().toString();
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(what.getBytes(StandardCharsets.UTF_8));
        String name = source.jdbcUrl != null ? "jdbc" : source.file.getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
        return name + "-" + HexFormat.of().formatHex(digest, 0, 6);
    }

    private ProgressBar progressBar(long total) {
        if (noProgress) return null;
        return new ProgressBarBuilder().setTaskName("import").setInitialMax(total).setUnit(" lines", 1).showSpeed()
                .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(500).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(System.err))
                .build();
    }

    private void reportBadLines(Importer.Report report, PrintWriter err) throws IOException {
        if (report.badLines().isEmpty()) return;
        int shown = 0;
        for (ImportRow r : report.badLines()) {
            if (shown++ == 20) {
                err.printf("... and %d more%s%n", report.badLines().size() - 20, badLinesFile == null ? " (--bad-lines FILE lists all)" : "");
                break;
            }
            err.printf("line %d: %s%n", r.line(), r.error());
        }
        if (badLinesFile != null) {
            StringBuilder all = new StringBuilder();
            report.badLines().forEach(r -> all.append("line ").append(r.line()).append(": ").append(r.error()).append('\n'));
            Files.writeString(badLinesFile, all);
        }
    }
}
