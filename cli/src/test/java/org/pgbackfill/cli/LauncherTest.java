package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Issue #14: without -Xmx the JVM reached 935 MB of heap. The launcher shipped beside the jar
 * (src/packaging/pgbackfill, copied to cli/target at package) starts java with -Xmx512m unless
 * PGBACKFILL_JAVA_OPTS says otherwise, passing every argument on unchanged. A fake java records
 * what it is given.
 */
class LauncherTest {
    private static String launch(Path dir, String javaOpts, String... args) throws Exception {
        Path launcher = dir.resolve("pgbackfill");
        Files.copy(Path.of(System.getProperty("basedir", "."), "..", "src", "packaging", "pgbackfill"), launcher);
        Path fakeJava = dir.resolve("java");
        Files.writeString(fakeJava, "#!/bin/sh\nfor a in \"$@\"; do printf '[%s]' \"$a\"; done\n");
        Files.setPosixFilePermissions(fakeJava, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        ProcessBuilder b = new ProcessBuilder(new java.util.ArrayList<>(java.util.List.of(launcher.toString())));
        b.command().addAll(java.util.List.of(args));
        b.environment().put("JAVA", fakeJava.toString());
        if (javaOpts == null) b.environment().remove("PGBACKFILL_JAVA_OPTS"); else b.environment().put("PGBACKFILL_JAVA_OPTS", javaOpts);
        Process p = b.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        p.waitFor(10, TimeUnit.SECONDS);
        return out;
    }

    @Test
    void startsJavaWithTheToolsHeapAndTheArgumentsAsGiven(@TempDir Path dir) throws Exception {
        String jar = dir.toRealPath().resolve("pgbackfill.jar").toString();
        assertEquals("[-Xmx512m][-jar][" + jar + "][run][--workers][4][a b]", launch(dir, null, "run", "--workers", "4", "a b"));
    }

    @Test
    void pgbackfillJavaOptsReplacesTheDefault(@TempDir Path dir) throws Exception {
        String jar = dir.toRealPath().resolve("pgbackfill.jar").toString();
        assertEquals("[-Xmx2g][-XX:+UseG1GC][-jar][" + jar + "][status]", launch(dir, "-Xmx2g -XX:+UseG1GC", "status"));
    }
}
