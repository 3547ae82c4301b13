package org.pgbackfill.cli;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** The command line goes through core's public API (ARCHITECTURE.md), never into the engine's parts. */
class ArchitectureTest {
    @Test
    void theCommandLineUsesOnlyCoresPublicApi() {
        JavaClasses cli = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("org.pgbackfill.cli");
        noClasses().that().resideInAPackage("org.pgbackfill.cli..").should().dependOnClassesThat()
            .resideInAnyPackage("org.pgbackfill.state..", "org.pgbackfill.source..", "org.pgbackfill.load..", "org.pgbackfill.copy..",
                "org.pgbackfill.ring..", "org.pgbackfill.control..", "org.pgbackfill.metrics..", "org.pgbackfill.online..",
                "org.pgbackfill.schema..", "org.pgbackfill.extract..", "org.pgbackfill.job..", "org.pgbackfill.concurrent..")
            .check(cli);
    }
}
