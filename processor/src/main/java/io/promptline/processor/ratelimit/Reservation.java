package io.promptline.processor.ratelimit;

/**
 * A request's places in its tenant's two lines (requests and tokens), held with the request while it waits
 * (in the pending store or in a delay topic's headers) so that it keeps its turn.
 *
 * @param requestPosition position on the requests-per-minute line
 * @param tokenPosition   position of its first token on the tokens-per-minute line
 * @param tokens          tokens reserved (the estimate), corrected with real usage after the call
 */
public record Reservation(double requestPosition, double tokenPosition, long tokens) {

    /** {@code requestPosition,tokenPosition,tokens}, as carried in a header. */
    public String encode() {
        return requestPosition + "," + tokenPosition + "," + tokens;
    }

    public static Reservation decode(String s) {
        String[] p = s.split(",");
        if (p.length != 3) throw new IllegalArgumentException("reservation '" + s + "' must be requestPosition,tokenPosition,tokens");
        return new Reservation(Double.parseDouble(p[0]), Double.parseDouble(p[1]), Long.parseLong(p[2]));
    }
}
