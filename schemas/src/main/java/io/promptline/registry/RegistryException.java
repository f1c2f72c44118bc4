package io.promptline.registry;

import org.apache.kafka.common.errors.SerializationException;

/**
 * A Schema Registry request failed. Extends Kafka's {@link SerializationException} so that
 * serializers surface it the way Kafka clients expect. {@link #errorCode()} is Confluent's
 * {@code error_code} (e.g. 40403), or -1 when the registry did not answer.
 */
public class RegistryException extends SerializationException {
    private final int errorCode;

    public RegistryException(String message, int errorCode) {
        super(message);
        this.errorCode = errorCode;
    }

    public RegistryException(String message, Throwable cause) {
        super(message, cause);
        this.errorCode = -1;
    }

    public int errorCode() {
        return errorCode;
    }

    /** The registry could not be reached at all (connection refused, timeout, DNS). */
    public static final class Unreachable extends RegistryException {
        public Unreachable(String url, Throwable cause) {
            super("Schema registry at " + url + " is unreachable: " + describe(cause), cause);
        }

        private static String describe(Throwable t) {
            String msg = t.getMessage();
            return t.getClass().getSimpleName() + (msg == null ? "" : " (" + msg + ")");
        }
    }

    /** No schema with this id exists in the registry (Confluent error 40403 on /schemas/ids). */
    public static final class UnknownSchemaId extends RegistryException {
        private final int schemaId;

        public UnknownSchemaId(int schemaId, String url) {
            super("Unknown schema id " + schemaId + " in schema registry " + url
                    + ": the record was written with a schema this registry does not have", 40403);
            this.schemaId = schemaId;
        }

        public int schemaId() {
            return schemaId;
        }
    }

    /** Registration was refused because the schema breaks the subject's compatibility level (HTTP 409). */
    public static final class IncompatibleSchema extends RegistryException {
        public IncompatibleSchema(String subject, String registryMessage) {
            super("Schema for subject '" + subject + "' is incompatible with the registered versions: " + registryMessage, 409);
        }
    }

    /** auto.register.schemas is off and the schema is not registered under the subject. */
    public static final class NotRegistered extends RegistryException {
        public NotRegistered(String subject, int errorCode) {
            super("Schema is not registered under subject '" + subject + "' and auto.register.schemas is false;"
                    + " register it first (POST /subjects/" + subject + "/versions)", errorCode);
        }
    }
}
