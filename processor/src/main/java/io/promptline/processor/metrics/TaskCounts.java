package io.promptline.processor.metrics;

/** Counts a task keeps in its changelogged state (so exactly once), by reason; read from any thread. */
public interface TaskCounts {
    long count(String reason);
}
