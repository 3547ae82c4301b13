package org.pgbackfill.cli;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The JIT of the tool's JVM, chosen by the tool itself: C1 alone. A jar cannot carry JVM options,
 * and few users would pass them, so the choice is made at start with a compiler directive (the
 * {@code Compiler.directives_add} diagnostic command): a method C2 may not compile is compiled by C1
 * at its full optimisation instead.
 *
 * <p>Why, measured end to end in one run each (bench/RESULTS.md, issue #17): C2 spends 6–8
 * CPU-seconds compiling Jackson's parser and the extractor, a third of the client's CPU on a 1.6 GB
 * table, and its code then reads no faster than C1's in this pipeline: client CPU per GB at 6 GB
 * was 6.3 s with C1 and, net of compilation, about the same with C2. On a machine shared with
 * PostgreSQL every CPU-second the client saves goes to the server: C1 finished 1.6 GB in 13.3 s
 * instead of 16.6 s and 6 GB in 53 s instead of 62 s. Nothing in those figures grows with the
 * table, so C2 never catches up on the hours-long runs either.
 *
 * <p>A JIT chosen on the command line ({@code -XX:TieredStopAtLevel}, {@code -XX:-TieredCompilation},
 * a directives file …) is the user's and is left alone, and so is a JVM without the diagnostic
 * command (the default JIT is as correct, only slower here).
 */
final class JitChoice {
    private static final Logger log = LoggerFactory.getLogger(JitChoice.class);

    private static final String NO_C2 = "[{ match: \"*.*\", c2: { Exclude: true } }]";
    private static final List<String> USER_CHOICES = List.of("-XX:TieredStopAtLevel", "-XX:-TieredCompilation",
        "-XX:+TieredCompilation", "-XX:CompilerDirectivesFile", "-XX:CompilationMode", "-XX:CompileCommand", "-Xint", "-Xcomp");

    private JitChoice() { }

    /** Turns C2 off unless the command line chose the JIT; returns whether it did. Called once, first thing. */
    static boolean apply() {
        return !userChose(ManagementFactory.getRuntimeMXBean().getInputArguments()) && withoutC2();
    }

    /** Whether these JVM options (the command line's) choose the JIT. */
    static boolean userChose(List<String> jvmOptions) {
        return jvmOptions.stream().anyMatch(a -> USER_CHOICES.stream().anyMatch(a::startsWith));
    }

    /** Adds the directive that keeps C2 from compiling anything from now on; false if the JVM refused it. */
    static boolean withoutC2() {
        Path file = null;
        try {
            file = Files.createTempFile("pgbackfill-jit-", ".json");
            Files.writeString(file, NO_C2);
            Object said = ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                "compilerDirectivesAdd", new Object[] {new String[] {file.toString()}}, new String[] {String[].class.getName()});
            boolean added = String.valueOf(said).contains("1 compiler directives added");
            if (!added) log.debug("the JVM did not take the compiler directive: {}", said);
            return added;
        } catch (Exception | LinkageError e) {
            log.debug("cannot choose the JIT ({}); the JVM's default stays", e.toString());
            return false;
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (java.io.IOException ignored) {
                    // a temporary file of a few bytes
                }
            }
        }
    }
}
