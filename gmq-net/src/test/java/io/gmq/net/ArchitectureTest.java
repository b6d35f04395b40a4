package io.gmq.net;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.library.dependencies.SliceAssignment;
import com.tngtech.archunit.library.dependencies.SliceIdentifier;
import io.gmq.Gmq;
import io.gmq.broker.BrokerEngine;
import io.gmq.client.GmqClient;
import io.gmq.client.internal.EmbeddedGmqClient;
import io.gmq.client.internal.RemoteGmqClient;
import io.gmq.internal.embedded.EmbeddedGmq;
import io.gmq.net.server.GmqServer;
import io.gmq.wire.Protos;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The module and package rules of docs/ARCHITECTURE.md ("Modules and packages"), over the main
 * classes of every module this one sees (core, proto, client, net). A change that crosses a
 * boundary fails here rather than in a review.
 */
class ArchitectureTest {
    private static JavaClasses classes;

    @BeforeAll
    static void importMainClasses() {
        classes = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(location -> !location.contains("-tests.jar"))
                .importPackages("io.gmq");
    }

    /** The rules below would pass vacuously on an empty import: every module's classes are in it. */
    @Test
    void theImportHoldsEveryModule() {
        for (Class<?> c : List.of(
                Gmq.class, EmbeddedGmq.class, BrokerEngine.class, Protos.class, GmqClient.class, GmqServer.class)) {
            assertTrue(classes.contain(c), c + " was not imported");
        }
    }

    @Test
    void coreInternalsAreUsedOnlyInsideCore() {
        noClasses()
                .that()
                .resideInAnyPackage("io.gmq.wire..", "io.gmq.proto..", "io.gmq.client..", "io.gmq.net..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.gmq.internal..")
                .check(classes);
    }

    @Test
    void clientInternalsAreUsedOnlyByTheClient() {
        noClasses()
                .that()
                .resideOutsideOfPackage("io.gmq.client..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.gmq.client.internal..")
                .check(classes);
    }

    /*
     * Gmq.open and GmqClient.connect name their implementations: the only edges from an API type
     * down into the code behind it. The layer and cycle rules ignore exactly these three.
     */

    @Test
    void modulesMeetAtTheirSupportedApis() {
        layeredArchitecture()
                .consideringOnlyDependenciesInLayers()
                .layer("API")
                .definedBy("io.gmq")
                .layer("Security")
                .definedBy("io.gmq.security..")
                .layer("Seam")
                .definedBy("io.gmq.storage..")
                .layer("Engine")
                .definedBy(
                        "io.gmq.internal.log..",
                        "io.gmq.internal.group..",
                        "io.gmq.internal.state..",
                        "io.gmq.internal.topic..",
                        "io.gmq.internal.storage..")
                .layer("Broker")
                .definedBy("io.gmq.broker..")
                .layer("Embedded")
                .definedBy("io.gmq.internal.embedded..")
                .layer("Tools")
                .definedBy("io.gmq.junit..", "io.gmq.demo..")
                .layer("Wire")
                .definedBy("io.gmq.wire..", "io.gmq.proto..")
                .layer("Client")
                .definedBy("io.gmq.client..")
                .layer("Net")
                .definedBy("io.gmq.net..")
                .whereLayer("API")
                .mayNotAccessAnyLayer()
                .whereLayer("Seam")
                .mayOnlyAccessLayers("API")
                .whereLayer("Security")
                .mayOnlyAccessLayers("API")
                .whereLayer("Engine")
                .mayOnlyAccessLayers("API", "Seam")
                .whereLayer("Engine")
                .mayOnlyBeAccessedByLayers("Broker", "Embedded")
                .whereLayer("Broker")
                .mayOnlyAccessLayers("API", "Seam", "Engine")
                .whereLayer("Embedded")
                .mayOnlyBeAccessedByLayers("API")
                .whereLayer("Wire")
                .mayOnlyAccessLayers("API", "Seam")
                .whereLayer("Client")
                .mayOnlyAccessLayers("API", "Seam", "Broker", "Wire")
                .whereLayer("Client")
                .mayOnlyBeAccessedByLayers("Net")
                .whereLayer("Net")
                .mayNotBeAccessedByAnyLayer()
                .ignoreDependency(Gmq.class, EmbeddedGmq.class)
                .ignoreDependency(GmqClient.class, EmbeddedGmqClient.class)
                .ignoreDependency(GmqClient.class, RemoteGmqClient.class)
                .check(classes);
    }

    @Test
    void noPackageCycles() {
        slices().assignedFrom(byPackage())
                .should()
                .beFreeOfCycles()
                .ignoreDependency(Gmq.class, EmbeddedGmq.class)
                .ignoreDependency(GmqClient.class, EmbeddedGmqClient.class)
                .ignoreDependency(GmqClient.class, RemoteGmqClient.class)
                .check(classes);
    }

    private static SliceAssignment byPackage() {
        return new SliceAssignment() {
            @Override
            public SliceIdentifier getIdentifierOf(JavaClass c) {
                return SliceIdentifier.of(c.getPackageName());
            }

            @Override
            public String getDescription() {
                return "every package of io.gmq";
            }
        };
    }
}
