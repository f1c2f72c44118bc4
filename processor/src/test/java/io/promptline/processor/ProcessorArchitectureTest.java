package io.promptline.processor;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import com.tngtech.archunit.library.Architectures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The processor's packages, in the order of a request's path: each may use only the packages
 * after it. The coordinator ({@code dispatch}) carries a request through the stages below it,
 * with the settings {@code config} makes of the configuration; the application
 * ({@code io.promptline.processor}) wires it all and nothing uses it.
 */
class ProcessorArchitectureTest {
    /** Top to bottom: a package may depend only on packages listed after it. */
    static final List<String> LAYERS = List.of(
            "dispatch", "batch", "config", "intake", "routing", "quota", "ratelimit", "provider", "retry", "output", "cost", "metrics");
    private static JavaClasses processor;

    @BeforeAll
    static void importClasses() {
        processor = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.promptline.processor");
    }

    /** The layered rule over the processor's packages: a package that imports one listed before it fails. */
    static ArchRule packagesFollowTheRequestPath() {
        Architectures.LayeredArchitecture layers = Architectures.layeredArchitecture().consideringOnlyDependenciesInLayers()
                .layer("app").definedBy("io.promptline.processor");
        for (String p : LAYERS) layers = layers.layer(p).definedBy("io.promptline.processor." + p + "..");
        layers = layers.whereLayer("app").mayNotBeAccessedByAnyLayer();
        for (int i = 0; i < LAYERS.size(); i++) {
            String[] above = new String[i + 1];
            above[0] = "app";
            for (int j = 0; j < i; j++) above[j + 1] = LAYERS.get(j);
            layers = layers.whereLayer(LAYERS.get(i)).mayOnlyBeAccessedByLayers(above);
        }
        return layers.because("dependencies run one way along a request's path (see each package-info)");
    }

    @Test
    void shouldHavePackagesDependOnlyOnPackagesFurtherAlongTheRequestPath() {
        packagesFollowTheRequestPath().check(processor);
    }

    @Test
    void shouldHaveNoCyclesBetweenPackages() {
        slices().matching("io.promptline.processor.(*)..").should().beFreeOfCycles().check(processor);
    }

    @Test
    void shouldNotDependOnOtherDeployablesTestCodeOrOps() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("io.promptline.producer..", "io.promptline.sink..",
                "io.promptline.testkit..", "io.promptline.ops..").check(processor);
    }
}
