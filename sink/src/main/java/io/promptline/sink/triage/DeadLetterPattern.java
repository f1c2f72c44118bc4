package io.promptline.sink.triage;

import io.promptline.avro.DeadLetter;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * What dead letters that fail the same way have in common: the category, the HTTP status and the
 * message's shape — the message with ids, hex strings and numbers replaced ({@code <id>},
 * {@code <hex>}, {@code #}), spaces collapsed, at most {@value #SHAPE_CHARS} characters. Two
 * context-length failures of different prompts are one pattern; a context-length failure and a
 * content-policy refusal are two.
 *
 * @param id    a stable name of the pattern (16 hex characters of its SHA-256)
 * @param shape the message's shape
 */
public record DeadLetterPattern(String id, String category, Integer httpStatus, String shape) {
    static final int SHAPE_CHARS = 300;
    private static final Pattern UUID = Pattern.compile("\\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\\b");
    private static final Pattern HEX = Pattern.compile("\\b(?=[0-9a-fA-F]*\\d)(?=[0-9a-fA-F]*[a-fA-F])[0-9a-fA-F]{8,}\\b");
    private static final Pattern NUMBER = Pattern.compile("\\d+(?:[.,]\\d+)*");
    private static final Pattern SPACE = Pattern.compile("\\s+");

    public static DeadLetterPattern of(DeadLetter d) {
        String category = d.getCategory().name();
        Integer status = d.getHttpStatus();
        String shape = shape(d.getMessage());
        return new DeadLetterPattern(id(category + "|" + status + "|" + shape), category, status, shape);
    }

    static String shape(String message) {
        String m = message == null ? "" : message.length() > 4 * SHAPE_CHARS ? message.substring(0, 4 * SHAPE_CHARS) : message;
        m = UUID.matcher(m).replaceAll("<id>");
        m = HEX.matcher(m).replaceAll("<hex>");
        m = NUMBER.matcher(m).replaceAll("#");
        m = SPACE.matcher(m).replaceAll(" ").trim();
        return m.length() > SHAPE_CHARS ? m.substring(0, SHAPE_CHARS) : m;
    }

    private static String id(String key) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }
}
