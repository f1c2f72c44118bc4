package io.promptline.processor.batch;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.BiConsumer;

/**
 * The pace of a task's provider requests per job: at most one in flight per job, the next one not
 * before its time (polls, back-offs), and every answer — which arrives on Vert.x — handed to the
 * stream thread to apply at the next punctuation. Stream thread only, except the answers' arrival.
 */
final class Steps {
    /** Jobs with a provider request in flight. */
    private final Set<String> busy = new HashSet<>();
    /** When a job's next provider request may start (epoch ms). */
    private final Map<String, Long> next = new HashMap<>();
    /** Answers of provider requests, applied on the stream thread. */
    private final ConcurrentLinkedQueue<Runnable> arrived = new ConcurrentLinkedQueue<>();
    private volatile boolean closed;

    /** Whether a provider request for the job may start now. */
    boolean due(String jobKey, long now) {
        return !busy.contains(jobKey) && next.getOrDefault(jobKey, 0L) <= now;
    }

    /** The job's next provider request not before {@code atMillis}. */
    void notBefore(String jobKey, long atMillis) {
        next.put(jobKey, atMillis);
    }

    void forget(String jobKey) {
        next.remove(jobKey);
    }

    /** Runs {@code request} for the job; when it completes, {@code then} gets its value or error on the stream thread. */
    <T> void run(String jobKey, CompletionStage<T> request, BiConsumer<T, Throwable> then) {
        busy.add(jobKey);
        request.whenComplete((value, error) -> {
            if (closed) return;
            arrived.add(() -> {
                busy.remove(jobKey);
                then.accept(value, error);
            });
        });
    }

    /** Applies the answers that arrived (the punctuation). */
    void applyArrived() {
        Runnable r;
        while ((r = arrived.poll()) != null) r.run();
    }

    /** Forgets everything; answers still on their way are dropped. */
    void close() {
        closed = true;
        arrived.clear();
        busy.clear();
        next.clear();
    }
}
