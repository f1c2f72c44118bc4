package io.promptline.runtime;

import java.time.Duration;

/** The two thread chores every background loop has: a pause that an interrupt ends, and a bounded join. */
public final class Threads {
    private Threads() {
    }

    /** Sleeps {@code millis}; an interrupt ends it early, keeps the interrupt flag set and returns false. */
    public static boolean sleep(long millis) {
        try {
            Thread.sleep(millis);
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Stops a loop thread whose run flag the caller has just cleared: {@code wake} ends a blocking
     * call it may be in (a consumer's wakeup, say), then waits at most {@code timeout}; returns whether it ended.
     */
    public static boolean stop(Thread thread, Runnable wake, Duration timeout) {
        wake.run();
        return join(thread, timeout);
    }

    /** Waits at most {@code timeout} for {@code thread} to end; returns whether it did. An interrupt stops the wait. */
    public static boolean join(Thread thread, Duration timeout) {
        try {
            thread.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return !thread.isAlive();
    }
}
