package io.promptline.processor.dispatch;

import io.promptline.avro.PromptRequest;
import io.promptline.processor.output.Origin;
import io.promptline.processor.ratelimit.Reservation;

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
 * <p>Stored ({@link #encode()}) as {@code [2][attempts][firstAttemptAt][admittedAt][origin topic,
 * partition, offset][model][reservation][fallbackReason or ""][request wire bytes]}; format 1
 * (without reservation and fallback) is still read. The request keeps its original Confluent wire
 * format, so it decodes with the registry like any record.
 *
 * @param requestWire    the request as read from the topic
 * @param model          the model to call (routing and context fallbacks applied)
 * @param attempts       the number of the call this entry is for (calls before it: attempts - 1)
 * @param firstAttemptAt epoch ms of the request's first call, 0 before it
 * @param reservation    its places on the tenant's rate-limit lines
 * @param fallbackReason why the model or provider differs from the request's, or null
 */
record PendingCall(PromptRequest request, byte[] requestWire, String model, Origin origin, int attempts,
                          long firstAttemptAt, long admittedAt, Reservation reservation, String fallbackReason) {
    static final byte VERSION_1 = 1;
    static final byte VERSION = 2;

    /** The entry after a crash or rebalance: its call may have been made, so the next one has the next number. */
    PendingCall withNextAttempt() {
        return new PendingCall(request, requestWire, model, origin, attempts + 1, firstAttemptAt, admittedAt, reservation, fallbackReason);
    }

    /** The entry sent to another model, for its next call. */
    PendingCall rerouted(String newModel, String reason) {
        return new PendingCall(request, requestWire, newModel, origin, attempts + 1, firstAttemptAt, admittedAt, reservation, reason);
    }

    /** With a new place in its tenant's line. */
    PendingCall withReservation(Reservation r) {
        return new PendingCall(request, requestWire, model, origin, attempts, firstAttemptAt, admittedAt, r, fallbackReason);
    }

    /** With the first call's start time filled in, if it was not yet known. */
    PendingCall withFirstAttemptAt(long startedAt) {
        return firstAttemptAt > 0 ? this : new PendingCall(request, requestWire, model, origin, attempts, startedAt, admittedAt,
                reservation, fallbackReason);
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(requestWire.length + 128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeInt(attempts);
            out.writeLong(firstAttemptAt);
            out.writeLong(admittedAt);
            out.writeUTF(origin.topic());
            out.writeInt(origin.partition());
            out.writeLong(origin.offset());
            out.writeUTF(model);
            out.writeDouble(reservation.requestPosition());
            out.writeDouble(reservation.tokenPosition());
            out.writeLong(reservation.tokens());
            out.writeUTF(fallbackReason == null ? "" : fallbackReason);
            out.write(requestWire);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Decodes a stored entry (format 1 or 2); {@code decoder} turns the request wire bytes back into a PromptRequest. */
    static PendingCall decode(byte[] stored, Function<byte[], PromptRequest> decoder) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(stored))) {
            byte version = in.readByte();
            if (version != VERSION && version != VERSION_1) {
                throw new IllegalStateException("pending entry has unknown format version " + version);
            }
            int attempts = in.readInt();
            long first = in.readLong();
            long admitted = in.readLong();
            Origin origin = new Origin(in.readUTF(), in.readInt(), in.readLong());
            String model = in.readUTF();
            Reservation reservation = new Reservation(0, 0, 0);
            String fallback = null;
            if (version == VERSION) {
                reservation = new Reservation(in.readDouble(), in.readDouble(), in.readLong());
                fallback = in.readUTF();
                if (fallback.isEmpty()) fallback = null;
            }
            byte[] wire = in.readAllBytes();
            return new PendingCall(decoder.apply(wire), wire, model, origin, attempts, first, admitted, reservation, fallback);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt pending entry", e);
        }
    }
}
