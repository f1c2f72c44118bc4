package io.promptline.producer.cli;

import io.promptline.registry.RegistryException;
import org.apache.kafka.common.errors.TimeoutException;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/** One line that says what went wrong, for a person at a terminal: never a stack trace. */
final class Errors {
    private Errors() {
    }

    static String describe(Throwable e) {
        Throwable t = e;
        while ((t instanceof ExecutionException || t instanceof CompletionException) && t.getCause() != null) t = t.getCause();
        var refused = io.promptline.runtime.KafkaRefusal.describe(t, "prefixed promptline-import-");
        if (refused.isPresent()) return refused.get();
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof RegistryException) return c.getMessage();
            if (c instanceof TimeoutException) {
                return "Kafka did not answer in time (" + c.getMessage() + "); is the broker at the --bootstrap-servers address running?";
            }
        }
        String m = t.getMessage();
        if (t instanceof IllegalArgumentException || t instanceof IllegalStateException || t instanceof java.io.IOException
                || t instanceof org.apache.kafka.common.KafkaException || t instanceof java.util.concurrent.TimeoutException) {
            return m == null ? t.getClass().getSimpleName() : m;
        }
        return "internal error (" + t.getClass().getName() + (m == null ? "" : ": " + m) + "); please report it";
    }
}
