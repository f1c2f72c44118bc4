package io.promptline.testkit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;

class EmbeddedPostgresTest {
    @RegisterExtension
    static final EmbeddedPostgres PG = new EmbeddedPostgres();

    @Test
    void shouldServeARealPostgresDatabasePerTest() throws Exception {
        String url = PG.newDatabase();
        try (Connection c = DriverManager.getConnection(url, "postgres", "postgres"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id int primary key)");
            s.execute("INSERT INTO t VALUES (1), (2)");
            ResultSet rs = s.executeQuery("SELECT count(*), version() FROM t");
            rs.next();
            assertThat(rs.getInt(1)).isEqualTo(2);
            assertThat(rs.getString(2)).startsWith("PostgreSQL");
        }
    }
}
