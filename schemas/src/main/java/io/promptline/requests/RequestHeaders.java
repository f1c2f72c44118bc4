package io.promptline.requests;

/** Headers a publisher may set on a request record, and what the processor does with them. */
public final class RequestHeaders {
    /**
     * Marks a request sent again on purpose after it was dead-lettered ({@code promptline dlq redrive}); its value says
     * which dead letter. Without it, a request_id that was dead-lettered within the dedupe retention is a duplicate.
     */
    public static final String REDRIVE = "promptline.redrive";

    private RequestHeaders() {
    }
}
