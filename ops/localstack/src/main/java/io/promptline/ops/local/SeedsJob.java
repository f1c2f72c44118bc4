package io.promptline.ops.local;

import io.promptline.avro.Priority;
import io.promptline.producer.imports.ImportSource;
import io.promptline.producer.imports.Importer;
import io.promptline.producer.imports.RowMapping;
import io.promptline.registry.RestSchemaRegistryClient;
import io.promptline.topics.Topics;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Clock;
import java.util.Locale;
import java.util.Map;

/**
 * The seeds' kind of job on the local stack: a table of N rows in PostgreSQL, imported with the
 * CLI's JDBC import ({@link Importer}, as {@code promptline import --jdbc-url … --query …} does) into
 * one tenant's batch tier; each row's request id is {@code <run>-<id>}.
 */
public final class SeedsJob {
    private SeedsJob() {
    }

    public static String table(String runId) {
        return "local_rows_" + runId.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    }

    public static void createRows(DataSource db, String runId, int rows) throws SQLException {
        try (Connection c = db.getConnection(); Statement st = c.createStatement()) {
            st.execute("CREATE TABLE " + table(runId) + " (id bigint PRIMARY KEY, prompt text NOT NULL)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table(runId)
                    + " SELECT g, 'Classify support ticket #' || g || ' as billing, bug, question or other: the customer writes that ' "
                    + "|| (ARRAY['the invoice is wrong', 'the app crashes on start', 'they want to export data', 'nothing works'])[1 + g % 4] "
                    + "FROM generate_series(1, ?) g")) {
                ps.setInt(1, rows);
                ps.executeUpdate();
            }
        }
    }

    /** Imports the rows to the default topics; returns the import's one-line report. */
    static String importRows(String jdbcUrl, String runId, String tenant, String model, String bootstrap, String registryUrl) throws Exception {
        return importRows(jdbcUrl, runId, tenant, model, bootstrap, registryUrl, Topics.defaults());
    }

    /** Imports the rows into the batch tier of {@code topics}; returns the import's one-line report. */
    public static String importRows(String jdbcUrl, String runId, String tenant, String model, String bootstrap, String registryUrl,
                                    Topics topics) throws Exception {
        String query = "SELECT '" + runId + "-' || id AS id, prompt FROM " + table(runId) + " ORDER BY id";
        RowMapping mapping = new RowMapping(runId, tenant, Priority.BATCH, model, null, null, 64);
        Importer importer = new Importer(Map.of("bootstrap.servers", bootstrap), new RestSchemaRegistryClient(registryUrl), topics,
                Clock.systemUTC());
        Importer.Report report;
        try (ImportSource source = ImportSource.jdbc(jdbcUrl, "postgres", "postgres", query)) {
            report = importer.run(source, mapping, 0, () -> false, (line, published, bad) -> { });
        }
        if (!report.badLines().isEmpty()) {
            throw new IllegalStateException(report.badLines().size() + " rows could not be imported, e.g. " + report.badLines().get(0));
        }
        return String.format(Locale.ROOT, "Imported %,d rows to %s in %.1f s (%,.0f rows/s)", report.published(),
                topics.requests(Priority.BATCH), report.seconds(), report.ratePerSecond());
    }
}
