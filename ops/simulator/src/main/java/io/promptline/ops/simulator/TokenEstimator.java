package io.promptline.ops.simulator;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;
import java.util.List;

/**
 * The simulator's deterministic token arithmetic. Public so tests can compute expectations.
 *
 * <ul>
 *   <li>prompt tokens: for each message its content's tokens in OpenAI's {@code o200k_base}
 *       encoding (gpt-4o, gpt-4.1, o-series) plus 4 (the message's frame and role), plus 3 to prime the
 *       reply, as OpenAI counts a chat; so Japanese and Chinese cost what they cost, not characters / 4;</li>
 *   <li>completion tokens: {@code min + floorMod(contentHash(model, contents), max - min + 1)},
 *       then clamped to max_tokens when that is smaller (finish_reason "length");</li>
 *   <li>cached tokens: {@code floor(prompt * cachedFraction)} when {@code prompt >= cachedMinPromptTokens}, else 0;</li>
 *   <li>reasoning tokens: {@code floor(completion * reasoningFraction)}.</li>
 * </ul>
 */
public final class TokenEstimator {

    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private TokenEstimator() {}

    private static final Encoding O200K = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.O200K_BASE);

    /** Prompt tokens of one message: its content in {@code o200k_base}, plus 4. */
    public static int messageTokens(String content) {
        return O200K.countTokensOrdinary(content) + 4;
    }

    /** Prompt tokens of a request: the sum of {@link #messageTokens(String)} over the messages, plus 3. */
    public static int promptTokens(List<String> contents) {
        long total = 3;
        for (String content : contents) {
            total += messageTokens(content);
        }
        return (int) Math.min(Integer.MAX_VALUE, total);
    }

    /**
     * 64-bit FNV-1a over the UTF-16 code units of the model, then, for each message, a 0 separator
     * followed by the content's code units. Also the fallback key of transient ({@code xN}) faults.
     */
    public static long contentHash(String model, List<String> contents) {
        long h = FNV_OFFSET;
        h = mix(h, model);
        for (String content : contents) {
            h *= FNV_PRIME; // separator: code unit 0 (h ^= 0 is a no-op)
            h = mix(h, content);
        }
        return h;
    }

    private static long mix(long hash, String text) {
        long h = hash;
        for (int i = 0; i < text.length(); i++) {
            h ^= text.charAt(i);
            h *= FNV_PRIME;
        }
        return h;
    }

    /**
     * Natural (unclamped) completion tokens: {@code min + floorMod(contentHash(model, contents), max - min + 1)}.
     */
    public static int naturalCompletionTokens(String model, List<String> contents, int min, int max) {
        long span = (long) max - min + 1;
        return (int) (min + Math.floorMod(contentHash(model, contents), span));
    }

    /**
     * Completion tokens of a call: the natural count, clamped to {@code maxTokens} when that is
     * non-null and smaller (in which case the finish_reason is "length").
     */
    public static int completionTokens(String model, List<String> contents, int min, int max, Integer maxTokens) {
        int natural = naturalCompletionTokens(model, contents, min, max);
        return maxTokens != null && natural > maxTokens ? maxTokens : natural;
    }

    /** Whether the call is truncated by max_tokens (finish_reason "length"); otherwise "stop". */
    public static boolean truncated(String model, List<String> contents, int min, int max, Integer maxTokens) {
        return maxTokens != null && naturalCompletionTokens(model, contents, min, max) > maxTokens;
    }

    /** {@code floor(promptTokens * fraction)} when {@code promptTokens >= minPromptTokens}, else 0. */
    public static int cachedTokens(int promptTokens, double fraction, int minPromptTokens) {
        return promptTokens >= minPromptTokens ? (int) Math.floor(promptTokens * fraction) : 0;
    }

    /** {@code floor(completionTokens * fraction)}. */
    public static int reasoningTokens(int completionTokens, double fraction) {
        return (int) Math.floor(completionTokens * fraction);
    }
}
