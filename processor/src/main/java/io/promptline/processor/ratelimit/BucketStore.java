package io.promptline.processor.ratelimit;

import org.apache.kafka.streams.state.KeyValueStore;

/** Where a task keeps its tenants' buckets: its changelogged store in production, a map in unit tests. */
public interface BucketStore {
    byte[] get(String tenant);

    void put(String tenant, byte[] bucket);

    static BucketStore of(KeyValueStore<String, byte[]> store) {
        return new BucketStore() {
            @Override
            public byte[] get(String tenant) {
                return store.get(tenant);
            }

            @Override
            public void put(String tenant, byte[] bucket) {
                store.put(tenant, bucket);
            }
        };
    }
}
