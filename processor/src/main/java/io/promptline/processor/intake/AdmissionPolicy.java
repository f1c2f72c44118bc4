package io.promptline.processor.intake;

import io.promptline.avro.ErrorCategory;
import io.promptline.avro.PromptRequest;
import io.promptline.processor.cost.Billing;
import io.promptline.processor.quota.Budgets;
import io.promptline.processor.routing.ContextRouting;
import io.promptline.processor.routing.Router;
import io.promptline.requests.RequestRules;

import java.time.Instant;
import java.util.Optional;

/**
 * Decides, before anything is spent, whether a decoded request is called and with which model:
 * valid fields, a route, a price (unless unpriced calls are recorded by policy), a deadline not passed, a budget not exhausted, a prompt that
 * fits the model's context (or a larger model that takes it). Every refusal names its reason.
 */
public final class AdmissionPolicy {
    /** What intake decided. */
    public sealed interface Decision {
    }

    /**
     * @param fallbackReason why the model differs from the routed one (context too small), or null
     * @param estimatedTokens prompt estimate plus the completion allowed, charged to the tenant's token limit
     */
    /** @param route how the model was chosen ({@link Router.Route#how()}), recorded on the result */
    public record Admit(String model, String fallbackReason, long estimatedTokens, String route) implements Decision {
    }

    public record Reject(ErrorCategory category, String message) implements Decision {
    }

    private final Router router;
    private final ContextRouting context;
    private final Billing billing;
    private final java.util.function.Predicate<String> served;
    private final int completionEstimate;
    private final String provider;
    private final Budgets budgets;

    /**
     * @param completionEstimate completion tokens charged up front when max_tokens is not set
     * @param provider           the primary endpoint's provider, whose prices a request must have
     */
    public AdmissionPolicy(Router router, ContextRouting context, Billing billing, int completionEstimate, String provider,
                           Budgets budgets) {
        this(router, context, billing, completionEstimate, provider, budgets, model -> true);
    }

    /** @param served whether a provider deployment serves a model (a model none serves is refused) */
    public AdmissionPolicy(Router router, ContextRouting context, Billing billing, int completionEstimate, String provider,
                           Budgets budgets, java.util.function.Predicate<String> served) {
        this.served = served;
        this.router = router;
        this.context = context;
        this.billing = billing;
        this.completionEstimate = completionEstimate;
        this.provider = provider;
        this.budgets = budgets;
    }

    public Decision decide(PromptRequest r, Instant now) {
        Optional<String> invalid = RequestRules.problem(r);
        if (invalid.isPresent()) return new Reject(ErrorCategory.INVALID_REQUEST, invalid.get());
        Optional<Router.Route> routed = router.route(r);
        if (routed.isEmpty()) {
            return new Reject(ErrorCategory.INVALID_REQUEST, "task_type '" + r.getTaskType()
                    + "' has no route, no routing rule matches and no model is given; routes: " + router.describeRoutes());
        }
        if (r.getDeadline() != null && !r.getDeadline().isAfter(now)) {
            return new Reject(ErrorCategory.DEADLINE_EXCEEDED, "deadline " + r.getDeadline() + " passed before the call (now " + now + ")");
        }
        Optional<String> overBudget = budgets.exceeded(r.getTenant(), now);
        if (overBudget.isPresent()) return new Reject(ErrorCategory.BUDGET_EXCEEDED, overBudget.get());
        String model = routed.get().model();
        long prompt = TokenEstimate.promptTokens(r, model);
        long tokens = prompt + (r.getMaxTokens() != null ? r.getMaxTokens() : completionEstimate);
        String reason = null;
        ContextRouting.Fit fit = context.fit(model, prompt + (r.getMaxTokens() == null ? 0 : r.getMaxTokens()));
        if (fit instanceof ContextRouting.TooLong tooLong) return new Reject(ErrorCategory.CONTEXT_LENGTH, tooLong.message());
        if (fit instanceof ContextRouting.Rerouted rerouted) {
            model = rerouted.model();
            reason = rerouted.reason();
        }
        if (!served.test(model)) {
            return new Reject(ErrorCategory.INVALID_REQUEST, "model " + model + " is served by no deployment of promptline.llm.deployments.file");
        }
        Optional<String> unpriced = billing.refusal(provider, model, now);
        if (unpriced.isPresent()) {
            String field = r.getModel() != null ? "model" : r.getTaskType() != null ? "task_type '" + r.getTaskType() + "' routes to model" : "default model";
            return new Reject(ErrorCategory.INVALID_REQUEST, field + " " + unpriced.get());
        }
        return new Admit(model, reason, tokens, routed.get().how());
    }
}
