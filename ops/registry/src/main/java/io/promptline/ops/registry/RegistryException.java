package io.promptline.ops.registry;

import java.util.List;

/**
 * A failure that the REST layer reports to the client as {@code {"error_code":..,"message":..}}
 * with the HTTP status and error code the Confluent Schema Registry uses for the same case.
 */
public final class RegistryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int httpStatus;
    private final int errorCode;

    public RegistryException(int httpStatus, int errorCode, String message) {
        this(httpStatus, errorCode, message, null);
    }

    public RegistryException(int httpStatus, int errorCode, String message, Throwable cause) {
        super(message, cause);
        this.httpStatus = httpStatus;
        this.errorCode = errorCode;
    }

    public int httpStatus() {
        return httpStatus;
    }

    public int errorCode() {
        return errorCode;
    }

    public static RegistryException subjectNotFound(String subject) {
        return new RegistryException(404, 40401, "Subject '" + subject + "' not found.");
    }

    public static RegistryException versionNotFound(int version) {
        return new RegistryException(404, 40402, "Version " + version + " not found.");
    }

    /** Lookup of a schema under a subject that does not hold it. */
    public static RegistryException schemaNotFound() {
        return new RegistryException(404, 40403, "Schema not found");
    }

    /** Lookup of a schema by global id. */
    public static RegistryException schemaNotFound(int id) {
        return new RegistryException(404, 40403, "Schema " + id + " not found");
    }

    public static RegistryException subjectSoftDeleted(String subject) {
        return new RegistryException(404, 40404,
                "Subject '" + subject + "' was soft deleted.Set permanent=true to delete permanently");
    }

    public static RegistryException subjectNotSoftDeleted(String subject) {
        return new RegistryException(404, 40405,
                "Subject '" + subject + "' was not deleted first before being permanently deleted");
    }

    public static RegistryException subjectLevelCompatibilityNotConfigured(String subject) {
        return new RegistryException(404, 40408,
                "Subject '" + subject + "' does not have subject-level compatibility configured");
    }

    public static RegistryException incompatible(String subject, List<String> messages) {
        return new RegistryException(409, 409,
                "Schema being registered is incompatible with an earlier schema for subject \""
                        + subject + "\", details: [" + String.join(", ", messages) + "]");
    }

    public static RegistryException invalidSchema(String detail) {
        return new RegistryException(422, 42201, "Invalid schema " + detail);
    }

    public static RegistryException invalidVersion(String version) {
        return new RegistryException(422, 42202, "The specified version '" + version
                + "' is not a valid version id. Allowed values are between [1, 2^31-1] and the string \"latest\"");
    }

    public static RegistryException invalidCompatibilityLevel() {
        return new RegistryException(422, 42203, "Invalid compatibility level. Valid values are none,"
                + " backward, forward, full, backward_transitive, forward_transitive, and full_transitive");
    }

    public static RegistryException storeError(Throwable cause) {
        return new RegistryException(500, 50001, "Error in the backend data store", cause);
    }
}
