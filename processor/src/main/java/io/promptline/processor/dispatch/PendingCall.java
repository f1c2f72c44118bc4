package io.promptline.processor.dispatch;

import io.promptline.avro.PromptRequest;
import io.promptline.processor.output.Origin;
import io.promptline.processor.provider.ChatCall;
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
 * <p>Stored ({@link #encode()}) as {@code [6][lifetime][attempts][unconfirmed][refused][firstAttemptAt][admittedAt][origin
 * topic, partition, offset][model][reservation][fallbackReason or ""][route or ""][request wire bytes]}; formats
 * 1 (without lifetime, reservation and fallback), 2 (without lifetime), 4 (without unconfirmed) and 5
 * (without refused and route) are still read, older ones as of no lifetime. The request keeps its original Confluent wire format, so it decodes with the registry
 * like any record.
 *
 * <p>{@code lifetime} names the task lifetime that holds the entry ({@link #UNLOADED} for one
 * stored while its task was full, which no lifetime has started): what another lifetime handed
 * over ({@link Handover}) tells whether its call answered, was lost, failed or never started.
 *
 * @param requestWire    the request as read from the topic
 * @param model          the model to call (routing and context fallbacks applied)
 * @param attempts       the number of the call this entry is for (calls before it: attempts - 1)
 * @param unconfirmed    calls before it whose answers were lost (made by a lifetime that crashed or handed the task over
 *                       before they answered); each got a cost event marked unconfirmed
 * @param refused        calls before it that the endpoint refused as misconfigured (a bad key, base URL or model): made,
 *                       so counted in {@code attempts}, but not the request's failures, so outside its retry budget
 * @param firstAttemptAt epoch ms of the request's first call, 0 before it
 * @param reservation    its places on the tenant's rate-limit lines
 * @param fallbackReason why the model or provider differs from the request's, or null
 * @param route          how the model was chosen (model, rule:NAME, task_type:TYPE, default), or null (older formats)
 * @param lifetime       the task lifetime that wrote it (0: unknown, an older format)
 */
record PendingCall(PromptRequest request, byte[] requestWire, String model, Origin origin, int attempts, int unconfirmed, int refused,
                   long firstAttemptAt, long admittedAt, Reservation reservation, String fallbackReason, String route, long lifetime) {
    static final byte VERSION_1 = 1;
    static final byte VERSION_2 = 2;
    /** 4, not 3: byte 3 began the parked markers that older versions kept in the same store. */
    static final byte VERSION_4 = 4;
    static final byte VERSION_5 = 5;
    static final byte VERSION = 6;

    /** The lifetime of an entry stored without being loaded: its call has not started in any lifetime. */
    static final long UNLOADED = -1;

    /**
     * The entry as lifetime {@code current} holds it when its call may have been made by another
     * lifetime: the next call has the next number, and an earlier call whose answer was lost counts
     * as unconfirmed.
     */
    PendingCall calledAgain(long current, boolean answerLost) {
        return new PendingCall(request, requestWire, model, origin, attempts + 1, answerLost ? unconfirmed + 1 : unconfirmed, refused, firstAttemptAt,
                admittedAt, reservation, fallbackReason, route, current);
    }

    /**
     * The entry for its next call after the endpoint refused this one as misconfigured: the next
     * call has the next number (calls made), and the refusal stays outside the retry budget.
     */
    PendingCall refusedByEndpoint() {
        return new PendingCall(request, requestWire, model, origin, attempts + 1, unconfirmed, refused + 1, firstAttemptAt, admittedAt,
                reservation, fallbackReason, route, lifetime);
    }

    /** The calls that count against the retry budget: those made, but for the ones the endpoint refused as misconfigured. */
    int budgetedAttempts() {
        return attempts - refused;
    }

    /** The entry sent to another model, for its next call. */
    PendingCall rerouted(String newModel, String reason) {
        return new PendingCall(request, requestWire, newModel, origin, attempts + 1, unconfirmed, refused, firstAttemptAt, admittedAt, reservation,
                reason, route, lifetime);
    }

    /** The call this entry makes. */
    ChatCall chatCall() {
        return new ChatCall(request.getRequestId(), model, request.getMessages(), request.getTemperature(), request.getMaxTokens(),
                request.getResponseFormat(), request.getTools(), request.getToolChoice(), request.getStop(), request.getSeed(),
                request.getTopP(), request.getUser());
    }

    /** Held by lifetime {@code current} from now on, as the same call (it has not started in another lifetime). */
    PendingCall heldBy(long current) {
        return lifetime == current ? this : new PendingCall(request, requestWire, model, origin, attempts, unconfirmed, refused, firstAttemptAt,
                admittedAt, reservation, fallbackReason, route, current);
    }

    /** With a new place in its tenant's line. */
    PendingCall withReservation(Reservation r) {
        return new PendingCall(request, requestWire, model, origin, attempts, unconfirmed, refused, firstAttemptAt, admittedAt, r, fallbackReason,
                route, lifetime);
    }

    /** With the first call's start time filled in, if it was not yet known. */
    PendingCall withFirstAttemptAt(long startedAt) {
        return firstAttemptAt > 0 ? this : new PendingCall(request, requestWire, model, origin, attempts, unconfirmed, refused, startedAt,
                admittedAt, reservation, fallbackReason, route, lifetime);
    }

    byte[] encode() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(requestWire.length + 128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(VERSION);
            out.writeLong(lifetime);
            out.writeInt(attempts);
            out.writeInt(unconfirmed);
            out.writeInt(refused);
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
            out.writeUTF(route == null ? "" : route);
            out.write(requestWire);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The lifetime of a stored entry without decoding the rest (0 for the formats without one). */
    static long storedLifetime(byte[] stored) {
        if (stored.length < 9 || (stored[0] != VERSION && stored[0] != VERSION_5 && stored[0] != VERSION_4)) return 0;
        return java.nio.ByteBuffer.wrap(stored, 1, 8).getLong();
    }

    /** Decodes a stored entry (format 1, 2, 4, 5 or 6); {@code decoder} turns the request wire bytes back into a PromptRequest. */
    static PendingCall decode(byte[] stored, Function<byte[], PromptRequest> decoder) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(stored))) {
            byte version = in.readByte();
            if (version != VERSION && version != VERSION_5 && version != VERSION_4 && version != VERSION_2 && version != VERSION_1) {
                throw new IllegalStateException("pending entry has unknown format version " + version);
            }
            long lifetime = version >= VERSION_4 ? in.readLong() : 0;
            int attempts = in.readInt();
            int unconfirmed = version >= VERSION_5 ? in.readInt() : 0;
            int refused = version >= VERSION ? in.readInt() : 0;
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
            String route = version >= VERSION ? in.readUTF() : "";
            if (route.isEmpty()) route = null;
            byte[] wire = in.readAllBytes();
            return new PendingCall(decoder.apply(wire), wire, model, origin, attempts, unconfirmed, refused, first, admitted, reservation, fallback,
                    route, lifetime);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt pending entry", e);
        }
    }
}
