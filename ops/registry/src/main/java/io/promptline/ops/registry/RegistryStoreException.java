package io.promptline.ops.registry;

/**
 * The registry's durable state cannot be opened or used: a corrupt log, an unreadable data
 * directory, or a data directory already in use by another registry.
 */
public final class RegistryStoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public RegistryStoreException(String message) {
        super(message);
    }

    public RegistryStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
