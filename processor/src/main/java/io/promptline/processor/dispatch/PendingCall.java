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
 * <p>Stored ({@link #encode()}) as {@code [4][lifetime][attempts][firstAttemptAt][admittedAt][origin
 * topic, partition, offset][model][reservation][fallbackReason or ""][request wire bytes]}; formats
 * 1 (without lifetime, reservation and fallback) and 2 (without lifetime) are still read, as of no
 * lifetime. The request keeps its original Confluent wire format, so it decodes with the registry
 * like any record.
 *
 * <p>{@code lifetime} names the task lifetime that wrote the entry: an entry of another lifetime may
 * have had its call started before a crash or rebalance, so it is called again under the next
 * attempt number ({@link #inLifetime}); one written in this lifetime and not yet loaded (the
 * task was full) never started.
 *
 * @param requestWire    the request as read from the topic
 * @param model          the model to call (routing and context fallbacks applied)
 * @param attempts       the number of the call this entry is for (calls before it: attempts - 1)
 * @param firstAttemptAt epoch ms of the request's first call, 0 before it
 * @param reservation    its places on the tenant's rate-limit lines
 * @param fallbackReason why the model or provider differs from the request's, or null
 * @param lifetime       the task lifetime that wrote it (0: unknown, an older format)
 */
record PendingCall(PromptRequest request, byte[] requestWire, String model, Origin origin, int attempts,
                   long firstAttemptAt, long admittedAt, Reservation reservation, String fallbackReason, long lifetime) {
    static final byte VERSION_1 = 1;
    static final byte VERSION_2 = 2;
    /** 4, not 3: byte 3 began the parked markers that older versions kept in the same store. */
    static final byte VERSION = 4;

    /**
     * The entry as this lifetime holds it: one another lifetime wrote may have had its call made,
     * so its next call has the next number.
     */
    PendingCall inLifetime(long current) {
        if (lifetime == current) return this;
        return new PendingCall(request, requestWire, model, origin, attempts + 1, firstAttemptAt, admittedAt, reservation, fallbackReason,
                current);
    }

    /** The entry sent to another model, for its next call. */
    PendingCall rerouted(String newModel, String reason) {
        return new PendingCall(request, requestWire, newModel, origin, attempts + 1, firstAttemptAt, admittedAt, reservation, reason,
                lifetime);
    }

    /** With a new place in its tenant's line. */
    PendingCall withReservation(Reservation r) {
        return new PendingCall(request, requestWire, model, origin, attempts, firstAttemptAt, admittedAt, r, fallbackReason, lifetime);
    }

    /** With the first call's start time filled in, if it was not yet known. */
    PendingCall withFirstAttemptAt(long startedAt) {
        return firstAttemptAt > 0 ? this : new PendingCall(request, requestWire, model, origin, attempts, startedAt, admittedAt,
                reservation, fallbackReason, lifetime);
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(requestWire.length + 128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeLong(lifetime);
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

    /** Decodes a stored entry (format 1, 2 or 4); {@code decoder} turns the request wire bytes back into a PromptRequest. */
    static PendingCall decode(byte[] stored, Function<byte[], PromptRequest> decoder) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(stored))) {
            byte version = in.readByte();
            if (version != VERSION && version != VERSION_2 && version != VERSION_1) {
                throw new IllegalStateException("pending entry has unknown format version " + version);
            }
            long lifetime = version == VERSION ? in.readLong() : 0;
            int attempts = in.readInt();
            long first = in.readLong();
            long admitted = in.readLong();
            Origin origin = new Origin(in.readUTF(), in.readInt(), in.readLong());
            String model = in.readUTF();
            Reservation reservation = new Reservation(0, 0, 0);
            String fallback = null;
            if (version != VERSION_1) {
                reservation = new Reservation(in.readDouble(), in.readDouble(), in.readLong());
                fallback = in.readUTF();
                if (fallback.isEmpty()) fallback = null;
            }
            byte[] wire = in.readAllBytes();
            return new PendingCall(decoder.apply(wire), wire, model, origin, attempts, first, admitted, reservation, fallback, lifetime);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt pending entry", e);
        }
    }
}
