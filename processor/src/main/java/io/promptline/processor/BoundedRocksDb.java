package io.promptline.processor;

import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

import java.util.Map;

/**
 * Bounds the off-heap memory of every RocksDB store in the JVM (every tier, every task, every
 * store) with one shared block cache of {@value #CACHE_BYTES_CONFIG} bytes, of which the memtables
 * take at most {@value #WRITE_BUFFER_BYTES_CONFIG} (a write-buffer manager charging the cache),
 * index and filter blocks included (cached with high priority, top-level pinned): however many
 * tasks an instance holds, RocksDB uses about that much, so the pod's memory is heap + this +
 * the JVM's own. The pattern of Kafka Streams' memory-management guide.
 */
public final class BoundedRocksDb implements RocksDBConfigSetter {
    /** Total bytes of the shared block cache (memtables included). */
    public static final String CACHE_BYTES_CONFIG = "promptline.rocksdb.cache.bytes";
    /** Bytes of the cache the memtables may take. */
    public static final String WRITE_BUFFER_BYTES_CONFIG = "promptline.rocksdb.write.buffer.bytes";
    private static final double HIGH_PRIORITY_POOL_RATIO = 0.1;
    private static final long BLOCK_SIZE = 16 * 1024;
    private static final long MEMTABLE_BYTES = 8 * 1024 * 1024;

    private static Cache cache;
    private static WriteBufferManager writeBuffers;
    private static long cacheBytes;

    /** The shared cache, made on first use with the sizes of the first store's configuration (one per JVM). */
    private static synchronized void share(long total, long writeBuffer) {
        if (cache != null) return;
        cacheBytes = total;
        cache = new LRUCache(total, -1, false, HIGH_PRIORITY_POOL_RATIO);
        writeBuffers = new WriteBufferManager(writeBuffer, cache);
    }

    /** The size of the shared cache, 0 before any store opened. */
    static synchronized long sharedCacheBytes() {
        return cache == null ? 0 : cacheBytes;
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        share(bytes(configs, CACHE_BYTES_CONFIG, 64L << 20), bytes(configs, WRITE_BUFFER_BYTES_CONFIG, 16L << 20));
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(cache);
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        table.setBlockSize(BLOCK_SIZE);
        options.setWriteBufferManager(writeBuffers);
        options.setMaxWriteBufferNumber(2);
        options.setWriteBufferSize(MEMTABLE_BYTES);
        options.setTableFormatConfig(table);
    }

    @Override
    public void close(String storeName, Options options) {
        // The cache and the write-buffer manager are shared by every store of the JVM: never closed here.
    }

    private static long bytes(Map<String, Object> configs, String key, long dflt) {
        Object v = configs.get(key);
        if (v == null) return dflt;
        return v instanceof Number n ? n.longValue() : Long.parseLong(v.toString().trim());
    }
}
