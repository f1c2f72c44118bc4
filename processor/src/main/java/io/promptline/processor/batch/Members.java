package io.promptline.processor.batch;

import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The requests waiting in a task's batch jobs, in the changelogged members store: request_id → its
 * job and the admitted request as the task stores it. A member is deleted in the transaction that
 * forwards its outcome. Stream thread only.
 */
final class Members {
    private static final byte FORMAT = 1;

    private final KeyValueStore<String, byte[]> store;

    Members(KeyValueStore<String, byte[]> store) {
        this.store = store;
    }

    /** A member: its job and the admitted request as the task stores it. */
    record Member(String jobKey, byte[] member) {
    }

    boolean holds(String requestId) {
        return store.get(requestId) != null;
    }

    void put(String requestId, String jobKey, byte[] member) {
        store.put(requestId, encode(jobKey, member));
    }

    /** The member, or null when the request waits in no job of this task. */
    Member get(String requestId) {
        byte[] stored = requestId == null ? null : store.get(requestId);
        return stored == null ? null : decode(stored);
    }

    void delete(String requestId) {
        store.delete(requestId);
    }

    /** The members of a job, request_id → member, in the store's order. */
    Map<String, Member> of(String jobKey) {
        Map<String, Member> out = new LinkedHashMap<>();
        try (KeyValueIterator<String, byte[]> it = store.all()) {
            while (it.hasNext()) {
                var kv = it.next();
                Member m = decode(kv.value);
                if (m.jobKey().equals(jobKey)) out.put(kv.key, m);
            }
        }
        return out;
    }

    static byte[] encode(String jobKey, byte[] member) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(member.length + 64);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeUTF(jobKey);
            out.write(member);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static Member decode(byte[] stored) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(stored))) {
            byte format = in.readByte();
            if (format != FORMAT) throw new IllegalStateException("batch member has unknown format " + format);
            return new Member(in.readUTF(), in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt batch member", e);
        }
    }
}
