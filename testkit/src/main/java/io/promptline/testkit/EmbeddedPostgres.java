package io.promptline.testkit;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real PostgreSQL server (zonky's embedded binaries) for one test class. Each test takes a
 * fresh database with {@link #newDatabase()}.
 */
public final class EmbeddedPostgres extends ClassFixture<EmbeddedPostgres> {
    private static final AtomicInteger DB_SEQ = new AtomicInteger();
    private io.zonky.test.db.postgres.embedded.EmbeddedPostgres pg;

    @Override
    public EmbeddedPostgres start() throws Exception {
        if (pg == null) pg = io.zonky.test.db.postgres.embedded.EmbeddedPostgres.builder().start();
        return this;
    }

    @Override
    public void close() throws Exception {
        if (pg != null) pg.close();
        pg = null;
    }

    /** Creates an empty database and returns its JDBC URL (user and password: postgres). */
    public String newDatabase() {
        String name = "db" + DB_SEQ.incrementAndGet() + "_" + Long.toHexString(System.nanoTime() & 0xffffff);
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create database " + name + ": " + e.getMessage(), e);
        }
        return pg.getJdbcUrl("postgres", name);
    }

    public DataSource adminDataSource() {
        return pg.getPostgresDatabase();
    }
}
