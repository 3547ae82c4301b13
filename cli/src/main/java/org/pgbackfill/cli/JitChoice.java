package org.pgbackfill.cli;

import org.pgbackfill.phase.ProgressListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The JIT of the tool's JVM for the run at hand, chosen by the tool itself: a jar cannot carry JVM
 * options, and few users would pass them.
 *
 * <p>Measured end to end, each pair in one benchmark run (bench/RESULTS.md, issue #17): C2 spends
 * 6–8 CPU-seconds compiling Jackson's parser and the extractor, a third of the client's CPU on a
 * 1.6 GB table, for code that then reads documents only about 12% cheaper per GB than C1's. On a
 * 2-core machine shared with PostgreSQL every CPU-second the client saves goes to the server: at
 * 1.6 GB C1 alone finished in 15.1 s instead of 16.6 s with 12.8 instead of 17.7 client CPU-seconds;
 * at 6 GB the two were even (54.5 and 52.5 s, 38.5 and 40.4 CPU-seconds). So C1 for a run with less
 * than {@link #C2_FROM_STORED_BYTES} of documents left to load (about 8 GB of documents as they
 * compress here), C2 beyond, where its cheaper reading pays for its compilation.
 *
 * <p>The JVM is running before the tool knows the table's size, so the choice is made after the plan
 * and before the load (whose code has not been compiled yet) with a compiler directive added at run
 * time (the {@code Compiler.directives_add} diagnostic command): a method C2 may not compile is
 * compiled by C1 at its full optimisation instead. A JIT chosen on the command line
 * ({@code -XX:TieredStopAtLevel}, {@code -XX:-TieredCompilation}, a directives file …) is the user's
 * and is left alone, and so is a JVM without the diagnostic command (its default JIT is as correct).
 */
final class JitChoice {
    private static final Logger log = LoggerFactory.getLogger(JitChoice.class);

    private static final String NO_C2 = "[{ match: \"*.*\", c2: { Exclude: true } }]";
    private static final List<String> USER_CHOICES = List.of("-XX:TieredStopAtLevel", "-XX:-TieredCompilation",
        "-XX:+TieredCompilation", "-XX:CompilerDirectivesFile", "-XX:CompilationMode", "-XX:CompileCommand", "-XX:+UseJVMCICompiler", "-Xint", "-Xcomp");

    /** Stored (compressed) bytes of documents to load from which C2 is kept: its break-even, measured (above). */
    static final long C2_FROM_STORED_BYTES = 4_000_000_000L;

    private static boolean decided;

    private JitChoice() { }

    /** {@code display}, and the choice made once the plan says how much is left to load. */
    static ProgressListener afterPlan(ProgressListener display) {
        return ProgressListener.both(new ProgressListener() {
            @Override public void planned(long storedBytes) { forRun(storedBytes); }
        }, display);
    }

    /** Turns C2 off for a run with {@code storedBytes} left to load, if C1 is the better JIT for it; once per JVM. */
    static synchronized void forRun(long storedBytes) {
        if (decided) return;
        decided = true;
        if (prefersC1(storedBytes, ManagementFactory.getRuntimeMXBean().getInputArguments()) && tieredWithC2ByDefault() && withoutC2()) {
            log.debug("{} MB of stored documents to load: C1 compiles everything (C2 from {} MB)", storedBytes / 1_000_000,
                C2_FROM_STORED_BYTES / 1_000_000);
        }
    }

    /** Whether a run with {@code storedBytes} left to load, in a JVM started with {@code jvmOptions}, is to run on C1 alone. */
    static boolean prefersC1(long storedBytes, List<String> jvmOptions) {
        return storedBytes < C2_FROM_STORED_BYTES && !userChose(jvmOptions);
    }

    /**
     * Whether these JVM options (the command line's) choose the JIT. The lines of a {@code -XX:Flags}
     * file are among them without their {@code -XX:} ({@code -TieredCompilation}, {@code TieredStopAtLevel=1}):
     * missing those would exclude C2 from a JVM that has no other compiler, leaving it interpreting.
     */
    static boolean userChose(List<String> jvmOptions) {
        return jvmOptions.stream().anyMatch(a -> USER_CHOICES.stream().anyMatch(c -> a.startsWith(c) || ("-XX:" + a).startsWith(c)));
    }

    /**
     * Whether this JVM compiles with C1 and C2, tiered, as its default: excluding C2 is only safe where C1
     * compiles too (without tiered compilation, or with the JIT stopped below C2, C1 or the interpreter would be
     * all there is, 30 times slower), and a flag set anywhere but by the JVM itself (an options file, an
     * environment variable the arguments do not show) is the user's choice. Read from the flags in effect;
     * a JVM that cannot tell keeps its default.
     */
    static boolean tieredWithC2ByDefault() {
        try {
            com.sun.management.HotSpotDiagnosticMXBean flags = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            return jvmDefault(flags.getVMOption("TieredCompilation"), "true")
                && jvmDefault(flags.getVMOption("TieredStopAtLevel"), "4")
                && jvmDefault(flags.getVMOption("CompilationMode"), "default");
        } catch (RuntimeException | LinkageError e) {
            log.debug("cannot read the JVM's compiler flags ({}); its default JIT stays", e.toString());
            return false;
        }
    }

    private static boolean jvmDefault(com.sun.management.VMOption flag, String value) {
        com.sun.management.VMOption.Origin origin = flag.getOrigin();
        return value.equals(flag.getValue())
            && (origin == com.sun.management.VMOption.Origin.DEFAULT || origin == com.sun.management.VMOption.Origin.ERGONOMIC);
    }

    /** Adds the directive that keeps C2 from compiling anything from now on; false if the JVM refused it. */
    static boolean withoutC2() {
        Path file = null;
        try {
            file = Files.createTempFile("pgbackfill-jit-", ".json");
            Files.writeString(file, NO_C2);
            // quoted: the MBean joins the arguments into one command line, which the JVM splits at spaces
            // (a temporary directory under a user profile such as "Jane Doe" on Windows would otherwise be two arguments)
            Object said = ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                "compilerDirectivesAdd", new Object[] {new String[] {"\"" + file + "\""}}, new String[] {String[].class.getName()});
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
