package org.pgbackfill.architecture;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/** The layering ARCHITECTURE.md describes, checked on core's compiled classes. */
class ArchitectureTest {
    private static JavaClasses core;

    @BeforeAll
    static void importCore() {
        core = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("org.pgbackfill");
    }

    @Test
    void thePackagesDependOnEachOtherWithoutCycles() {
        slices().matching("org.pgbackfill.(**)").should().beFreeOfCycles().check(core);
    }

    @Test
    void coreKnowsNoCommandLineAndNoHttp() {
        noClasses().should().dependOnClassesThat().resideInAnyPackage("picocli..", "com.sun.net.httpserver..", "io.prometheus..")
            .check(core);
    }

    @Test
    void coreNeedsNotTheEmbeddedServer() {
        // the embedded module (pgbackfill-embedded) is on core's test classpath only: core's code never names it, and
        // it names nothing of core's (its own pom has no dependency on core; this says so in the build's report too)
        noClasses().that().resideOutsideOfPackage("org.pgbackfill.embedded..")
            .should().dependOnClassesThat().resideInAPackage("org.pgbackfill.embedded..").check(core);
        noClasses().that().resideInAPackage("org.pgbackfill.embedded..")
            .should().dependOnClassesThat().resideOutsideOfPackages("org.pgbackfill.embedded..", "java..", "javax..",
                "org.apache.commons.compress..", "org.tukaani.xz..", "com.sun.security.auth..")
            .check(core);
    }

    @Test
    void theEngineIsTheOnlyPackageThatNamesTheFirstJob() {
        // a second job is a new package: nothing below the engine may depend on the first one's
        noClasses().that().resideOutsideOfPackages("org.pgbackfill.engine..", "org.pgbackfill.job.chatmessage..",
                "org.pgbackfill.verify..")
            .should().dependOnClassesThat().resideInAPackage("org.pgbackfill.job.chatmessage..").check(core);
    }
}
