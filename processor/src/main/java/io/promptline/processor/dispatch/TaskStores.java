package io.promptline.processor.dispatch;

/** The state stores of a tier's dispatch task, by name: the topology declares them, the task's parts use them. */
public final class TaskStores {
    /** request_id → admitted request waiting for, or in, its call ({@link PendingCall}). */
    public static final String PENDING_STORE = "pending-calls";
    /** request_id → marker of a request waiting in the delay ladder. */
    public static final String PARKED_STORE = "parked-requests";
    /** request_ids that produced a result, remembered for the dedupe retention. */
    public static final String COMPLETED_STORE = "completed-requests";
    /** Reason → duplicates this task skipped (committed with the skipped records' offsets). */
    public static final String SKIPS_STORE = "skip-counts";
    /** Tenant → rate-limit bucket of this tier. */
    public static final String RATE_STORE = "rate-limits";
    /** Global: the quotas topic (tenant → Quota). */
    public static final String QUOTAS_STORE = "quotas";
    /** Global: the spend topic (tenant|currency|period → SpendTotal). */
    public static final String SPEND_STORE = "spend";
    /** lifetime → when it last ran (epoch ms), beaten every second: how far back a taker-over reads the calls it started. */
    public static final String LIFETIMES_STORE = "task-lifetimes";
    /** Batch tier with the Batch API on: job key → batch job. */
    public static final String BATCH_JOBS_STORE = "batch-jobs";
    /** Batch tier with the Batch API on: request_id → its job and the admitted request. */
    public static final String BATCH_MEMBERS_STORE = "batch-members";

    private TaskStores() {
    }
}
