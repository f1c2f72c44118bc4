package io.promptline.serde;

import org.apache.kafka.common.errors.SerializationException;

/** The bytes are not a Confluent wire-format Avro payload (wrong magic byte, too short, or undecodable Avro). */
public final class WireFormatException extends SerializationException {
    public WireFormatException(String message) {
        super(message);
    }

    public WireFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
