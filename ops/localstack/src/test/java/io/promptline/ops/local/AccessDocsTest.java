package io.promptline.ops.local;

import io.promptline.topics.AccessPlan;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;

import static org.assertj.core.api.Assertions.assertThat;

/** OPERATIONS.md lists exactly the ACLs the secured-cluster test grants (with the default names), component by component. */
class AccessDocsTest {
    @Test
    void shouldListEachComponentsAclsInOperations() throws Exception {
        String operations = Files.readString(DeploymentFilesTest.ROOT.resolve("ops/OPERATIONS.md"));
        for (AccessPlan.Component c : AccessPlan.Component.values()) {
            String listed = AccessPlan.markdown(AccessPlan.defaults(c));
            assertThat(operations).as("OPERATIONS.md lists the ACLs of the %s as:%n%s", c, listed).contains(listed);
        }
        String triage = AccessPlan.markdown(AccessPlan.triage(io.promptline.topics.Topics.defaults(), "promptline-triage"));
        assertThat(operations).as("OPERATIONS.md lists the ACLs of the dead-letter triage as:%n%s", triage).contains(triage);
    }
}
