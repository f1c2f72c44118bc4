package io.promptline.ops.local;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The modules' dependency rules, on the main code of every module (this module sees them all on
 * its class path): the data contract ({@code schemas}) imports no other module; the three
 * deployables ({@code producer}, {@code processor}, {@code sink}) never import each other nor
 * {@code ops}; no main code imports the test kit. A rule that breaks names the class and the
 * import.
 */
class ModuleRulesTest {
    /** The packages of the schemas module (the contract every module shares). */
    static final String[] SCHEMAS = {"io.promptline.avro..", "io.promptline.config..", "io.promptline.metrics..", "io.promptline.quota..",
            "io.promptline.registry..", "io.promptline.serde..", "io.promptline.topics..", "io.promptline.runtime..", "io.promptline.requests.."};
    private static final String PRODUCER = "io.promptline.producer..";
    private static final String PROCESSOR = "io.promptline.processor..";
    private static final String SINK = "io.promptline.sink..";
    private static final String OPS = "io.promptline.ops..";
    private static final String TESTKIT = "io.promptline.testkit..";
    private static JavaClasses main;

    @BeforeAll
    static void importMainCode() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("io.promptline");
    }

    @Test
    void shouldKeepTheContractFreeOfEveryOtherModule() {
        noClasses().that().resideInAnyPackage(SCHEMAS).should().dependOnClassesThat()
                .resideInAnyPackage(PRODUCER, PROCESSOR, SINK, OPS, TESTKIT).check(main);
    }

    @Test
    void shouldKeepTheDeployablesApart() {
        noClasses().that().resideInAPackage(PRODUCER).should().dependOnClassesThat().resideInAnyPackage(PROCESSOR, SINK, OPS).check(main);
        noClasses().that().resideInAPackage(PROCESSOR).should().dependOnClassesThat().resideInAnyPackage(PRODUCER, SINK, OPS).check(main);
        noClasses().that().resideInAPackage(SINK).should().dependOnClassesThat().resideInAnyPackage(PRODUCER, PROCESSOR, OPS).check(main);
    }

    @Test
    void shouldNotUseTheTestKitInMainCode() {
        noClasses().that().resideOutsideOfPackage(TESTKIT).should().dependOnClassesThat().resideInAPackage(TESTKIT).check(main);
    }

    @Test
    void shouldSeeEveryModulesMainCode() {
        // A rule over classes that are not there would pass for nothing: each module must be imported.
        for (String module : new String[]{"io.promptline.avro", "io.promptline.producer", "io.promptline.processor", "io.promptline.sink",
                "io.promptline.ops.registry", "io.promptline.ops.simulator", "io.promptline.ops.local", "io.promptline.testkit"}) {
            assertThat(main.stream().anyMatch(c -> c.getPackageName().startsWith(module)))
                    .as("main classes of %s on the class path", module).isTrue();
        }
    }
}
