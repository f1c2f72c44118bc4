package io.promptline.producer.doctor;

import java.util.Locale;

/** One line of the doctor's report: what was checked, the verdict, and what was seen (or what will go wrong). */
public record Finding(String area, Verdict verdict, String detail) {

    public enum Verdict {
        /** Works as the pipeline needs it. */
        OK,
        /** Works, but something a user should know (a default, a missing header). */
        WARN,
        /** Requests would fail, or the check could not be made. */
        FAIL
    }

    public static Finding ok(String area, String detail) {
        return new Finding(area, Verdict.OK, detail);
    }

    public static Finding warn(String area, String detail) {
        return new Finding(area, Verdict.WARN, detail);
    }

    public static Finding fail(String area, String detail) {
        return new Finding(area, Verdict.FAIL, detail);
    }

    public String line() {
        return String.format(Locale.ROOT, "%-4s  %-22s %s", verdict, area, detail);
    }
}
