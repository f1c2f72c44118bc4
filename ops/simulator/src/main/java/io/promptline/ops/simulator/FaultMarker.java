package io.promptline.ops.simulator;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A fault marker found in a message: {@code [[sim:KIND]]}, {@code [[sim:KINDxN]]} (transient: fail
 * the first N calls of the same logical request, then succeed) and, optionally,
 * {@code :retry-after=S} after the kind or count ({@code [[sim:429:retry-after=5]]},
 * {@code [[sim:429x2:retry-after=5]]}). KIND is one of 429, 500, 503, 401, hang, reset,
 * context_length, content_policy. The first marker in message order wins; unknown kinds are ignored.
 *
 * @param fault the fault to inject
 * @param times for a transient marker the number of failing calls (N of xN), else -1 (always fail)
 * @param retryAfterSeconds retry-after override (429, 503), or null
 * @param text the marker as written, part of the transient-attempt key
 */
public record FaultMarker(Outcome fault, int times, Integer retryAfterSeconds, String text) {

    private static final Pattern MARKER = Pattern.compile(
            "\\[\\[sim:(429|500|503|401|hang|reset|context_length|content_policy)"
                    + "(?:x(\\d{1,9}))?(?::retry-after=(\\d{1,6}))?]]");

    /** Whether the marker is transient ({@code xN}). */
    public boolean transientFault() {
        return times >= 0;
    }

    /** The first marker in {@code contents} (message order), or null. */
    public static FaultMarker find(List<String> contents) {
        for (String content : contents) {
            if (content.indexOf("[[sim:") < 0) {
                continue;
            }
            Matcher m = MARKER.matcher(content);
            if (m.find()) {
                int times = m.group(2) == null ? -1 : Integer.parseInt(m.group(2));
                Integer retryAfter = m.group(3) == null ? null : Integer.valueOf(m.group(3));
                return new FaultMarker(outcome(m.group(1)), times, retryAfter, m.group());
            }
        }
        return null;
    }

    private static Outcome outcome(String kind) {
        switch (kind) {
            case "429": return Outcome.RATE_LIMITED;
            case "500": return Outcome.SERVER_ERROR;
            case "503": return Outcome.OVERLOADED;
            case "401": return Outcome.UNAUTHORIZED;
            case "hang": return Outcome.HANG;
            case "reset": return Outcome.RESET;
            case "context_length": return Outcome.CONTEXT_LENGTH;
            default: return Outcome.CONTENT_POLICY;
        }
    }
}
