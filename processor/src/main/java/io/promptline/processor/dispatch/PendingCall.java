package io.promptline.processor.dispatch;

import io.promptline.avro.PromptRequest;
import io.promptline.processor.intake.DeadLetters.Origin;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Function;

/**
 * An admitted request whose call has not yet been applied: the value of the changelogged
 * pending store, keyed by request_id. It is written before the call starts, so whoever owns the
 * task after a crash or rebalance finds it and calls again.
 *
 * <p>Stored as {@code [version=1][attempts:int][firstAttemptAt:long][admittedAt:long]
 * [originTopic:utf][originPartition:int][originOffset:long][model:utf][request wire bytes]}, the
 * request in its original Confluent wire format so it decodes with the registry like any record.
 *
 * @param requestWire the request as read from the topic
 * @param model       the model chosen by routing at admission
 * @param attempts    calls started for this request, including the current one
 */
public record PendingCall(PromptRequest request, byte[] requestWire, String model, Origin origin,
                          int attempts, long firstAttemptAt, long admittedAt) {
    private static final byte VERSION = 1;

    public PendingCall withNextAttempt() {
        return new PendingCall(request, requestWire, model, origin, attempts + 1, firstAttemptAt, admittedAt);
    }

    public byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(requestWire.length + 96);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeInt(attempts);
            out.writeLong(firstAttemptAt);
            out.writeLong(admittedAt);
            out.writeUTF(origin.topic());
            out.writeInt(origin.partition());
            out.writeLong(origin.offset());
            out.writeUTF(model);
            out.write(requestWire);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Decodes a stored entry; {@code decoder} turns the request wire bytes back into a PromptRequest. */
    public static PendingCall decode(byte[] stored, Function<byte[], PromptRequest> decoder) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(stored))) {
            byte version = in.readByte();
            if (version != VERSION) throw new IllegalStateException("pending entry has unknown format version " + version);
            int attempts = in.readInt();
            long first = in.readLong();
            long admitted = in.readLong();
            Origin origin = new Origin(in.readUTF(), in.readInt(), in.readLong());
            String model = in.readUTF();
            byte[] wire = in.readAllBytes();
            return new PendingCall(decoder.apply(wire), wire, model, origin, attempts, first, admitted);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt pending entry", e);
        }
    }
}
