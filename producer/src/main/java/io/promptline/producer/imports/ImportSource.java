package io.promptline.producer.imports;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;

/** Where imported prompts come from: a JSONL file, a CSV file with a header, or the rows of a JDBC query; read as a stream. */
public interface ImportSource extends Iterator<ImportRow>, AutoCloseable {

    /** How many records there are, if cheap to know (for the progress bar's ETA); -1 otherwise. */
    long total();

    @Override
    void close();

    /** One JSON object per line; blank lines are skipped, others that are not objects are bad lines. */
    static ImportSource jsonl(Path file) {
        BufferedReader reader;
        long total;
        try {
            total = countLines(file);
            reader = Files.newBufferedReader(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        ObjectMapper json = new ObjectMapper();
        return new FileSource(total, reader) {
            private long line;
            private ImportRow next = advance();

            private ImportRow advance() {
                try {
                    String text;
                    while ((text = reader.readLine()) != null) {
                        line++;
                        if (text.isBlank()) continue;
                        try {
                            JsonNode node = json.readTree(text);
                            if (node == null || !node.isObject()) return ImportRow.bad(line, "not a JSON object");
                            @SuppressWarnings("unchecked") Map<String, Object> fields = json.convertValue(node, Map.class);
                            return ImportRow.of(line, fields);
                        } catch (JsonProcessingException e) {
                            // Jackson appends where in its "source" a bracket opened; the line number already says where.
                            return ImportRow.bad(line, "not JSON: " + e.getOriginalMessage().replaceFirst("(?s)\\s*\\(start marker at \\[Source:.*$", ""));
                        }
                    }
                    return null;
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + file + " at line " + line + ": " + e.getMessage(), e);
                }
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public ImportRow next() {
                if (next == null) throw new NoSuchElementException();
                ImportRow r = next;
                next = advance();
                return r;
            }
        };
    }

    /** A CSV file whose first line names the columns (RFC 4180 quoting); line numbers count the header as line 1. */
    static ImportSource csv(Path file) {
        MappingIterator<Map<String, String>> it;
        long total;
        try {
            total = countLines(file) - 1;
            CsvMapper mapper = new CsvMapper();
            it = mapper.readerForMapOf(String.class).with(CsvSchema.emptySchema().withHeader()).readValues(file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return new FileSource(total, it) {
            @Override
            public boolean hasNext() {
                try {
                    return it.hasNextValue();
                } catch (IOException e) {
                    return true; // next() reports the bad record
                }
            }

            @Override
            public ImportRow next() {
                long line = it.getCurrentLocation() == null ? -1 : it.getCurrentLocation().getLineNr();
                try {
                    Map<String, String> row = it.nextValue();
                    long at = it.getCurrentLocation().getLineNr();
                    return ImportRow.of(at, new LinkedHashMap<>(row));
                } catch (IOException | RuntimeException e) {
                    return ImportRow.bad(line + 1, "not valid CSV: " + e.getMessage().split("\n")[0]);
                }
            }
        };
    }

    /** The rows of {@code query}, streamed in chunks (row numbers from 1); columns by their labels, lower-cased. */
    static ImportSource jdbc(String url, String user, String password, String query) {
        Connection c = null;
        try {
            c = DriverManager.getConnection(url, user, password);
            c.setAutoCommit(false); // PostgreSQL streams with a fetch size only inside a transaction
            Statement st = c.createStatement(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
            st.setFetchSize(1_000);
            ResultSet rs = st.executeQuery(query);
            ResultSetMetaData meta = rs.getMetaData();
            Connection conn = c;
            return new ImportSource() {
                private long row;
                private Boolean ahead;

                @Override
                public boolean hasNext() {
                    try {
                        if (ahead == null) ahead = rs.next();
                        return ahead;
                    } catch (SQLException e) {
                        throw new IllegalStateException("reading the query's rows failed after row " + row + ": " + e.getMessage(), e);
                    }
                }

                @Override
                public ImportRow next() {
                    if (!hasNext()) throw new NoSuchElementException();
                    ahead = null;
                    row++;
                    try {
                        Map<String, Object> fields = new LinkedHashMap<>();
                        for (int i = 1; i <= meta.getColumnCount(); i++) {
                            fields.put(meta.getColumnLabel(i).toLowerCase(Locale.ROOT), rs.getObject(i));
                        }
                        return ImportRow.of(row, fields);
                    } catch (SQLException e) {
                        return ImportRow.bad(row, "unreadable row: " + e.getMessage());
                    }
                }

                @Override
                public long total() {
                    return -1;
                }

                @Override
                public void close() {
                    closeQuietly(conn);
                }
            };
        } catch (SQLException e) {
            if (c != null) closeQuietly(c); // a bad query must not leave the connection open
            throw new IllegalStateException("cannot run the import query on " + url + ": " + e.getMessage(), e);
        }
    }

    /** Ends the read-only transaction and closes the connection, whether or not the rollback succeeds. */
    private static void closeQuietly(Connection c) {
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // read-only: nothing to undo; the connection is closed below either way
        } finally {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already broken; nothing more to release
            }
        }
    }

    private static long countLines(Path file) throws IOException {
        try (var lines = Files.lines(file, StandardCharsets.UTF_8)) {
            return lines.count();
        }
    }
}
