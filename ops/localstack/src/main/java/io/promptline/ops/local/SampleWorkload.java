package io.promptline.ops.local;

import io.promptline.avro.Priority;
import io.promptline.producer.Prompt;

import java.util.ArrayList;
import java.util.List;

/**
 * The sample load the local stack publishes: three tenants, all three tiers, explicit models and
 * task-type routing, a long shared system prompt (so providers report cached tokens), and — on
 * the simulator only — a few requests that must end in the DLQ, to show what failures look like.
 */
final class SampleWorkload {
    private static final String[] TENANTS = {"acme", "globex", "initech"};
    private static final String LONG_SYSTEM = "You are a careful analyst. " + "Follow the house style guide. ".repeat(180);

    private SampleWorkload() {
    }

    static List<Prompt> build(String runId, int count, boolean simulator, String realModel) {
        List<Prompt> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            String tenant = TENANTS[i % TENANTS.length];
            Priority tier = i % 10 == 0 ? Priority.URGENT : (i % 10 < 7 ? Priority.NORMAL : Priority.BATCH);
            Prompt.Builder b = Prompt.builder(tenant).requestId(runId + "-" + i).priority(tier)
                    .metadata("run", runId).maxTokens(256);
            if (!simulator) {
                out.add(b.model(realModel).user("In one sentence, what is request " + i + " about Kafka?").build());
                continue;
            }
            switch (i % 5) {
                case 0 -> b.model("gpt-4.1");
                case 1 -> b.model("claude-sonnet-4.5");
                case 2 -> b.taskType("quick");
                case 3 -> b.taskType("code");
                default -> b.system(LONG_SYSTEM).model("gpt-4.1");
            }
            String user = "Summarise ticket #" + i + " for tenant " + tenant + ".";
            if (i == 7) user += " [[sim:context_length]]";
            if (i == 11) user += " [[sim:content_policy]]";
            out.add(b.user(user).build());
        }
        return out;
    }
}
