package io.promptline.ops.local.chaos;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.DBOptions;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A processor whose global store (quotas, spend) a crash left marked open comes back. Under
 * exactly-once, Kafka Streams refuses to open such a store ("didn't find a valid state") and its
 * global thread dies at start; found by chaos seed 21, where a processor restarted after kill -9
 * sat alive with its main thread dead, processing nothing. The crash is reproduced exactly: the
 * store's status in its offsets column family is set back to open (1), as a kill -9 after a flush
 * leaves it.
 */
class GlobalStoreLeftOpenIntegrationTest {
    @TempDir
    Path dir;

    @Test
    void shouldStartWithAGlobalStoreACrashLeftOpen() throws Exception {
        try (ChaosStack stack = new ChaosStack(dir, 1, 1)) {
            stack.start();
            stack.awaitProcessorsReady(Duration.ofSeconds(120));
            stack.stopProcessor(0);
            Path store = dir.resolve("processor-0").resolve("chaos-urgent").resolve("global").resolve("rocksdb").resolve("quotas");
            assertThat(store).isDirectory();
            markOpen(store);

            stack.restartProcessor(0);
            try {
                stack.awaitProcessorsReady(Duration.ofSeconds(120));
            } catch (IllegalStateException e) {
                throw new AssertionError(e.getMessage() + "\n" + Files.readString(dir.resolve("processor-0.log")), e);
            }
            assertThat(stack.processorAlive(0)).isTrue();
        }
    }

    /** Sets {@code status} in the store's {@code offsets} column family to 1 (open), as Kafka Streams writes it while the store is open. */
    private static void markOpen(Path store) throws Exception {
        RocksDB.loadLibrary();
        List<ColumnFamilyDescriptor> families = new ArrayList<>();
        try (Options options = new Options()) {
            for (byte[] name : RocksDB.listColumnFamilies(options, store.toString())) families.add(new ColumnFamilyDescriptor(name));
        }
        List<ColumnFamilyHandle> handles = new ArrayList<>();
        try (DBOptions options = new DBOptions(); RocksDB db = RocksDB.open(options, store.toString(), families, handles)) {
            ColumnFamilyHandle offsets = null;
            for (ColumnFamilyHandle h : handles) if (new String(h.getName(), StandardCharsets.UTF_8).equals("offsets")) offsets = h;
            assertThat(offsets).as("the store's offsets column family").isNotNull();
            db.put(offsets, "status".getBytes(StandardCharsets.UTF_8), ByteBuffer.allocate(8).putLong(1L).array());
            db.flushWal(true);
            try (var flush = new org.rocksdb.FlushOptions().setWaitForFlush(true)) {
                db.flush(flush, handles);
            }
            handles.forEach(ColumnFamilyHandle::close);
        }
    }
}
