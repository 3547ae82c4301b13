package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;

import javax.management.ObjectName;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The JIT choice made for real, each case in a JVM of its own started the way users start the tool:
 * a JIT the user chose, wherever the option came from (the command line, which the launcher's
 * PGBACKFILL_JAVA_OPTS becomes; JAVA_TOOL_OPTIONS, JDK_JAVA_OPTIONS, _JAVA_OPTIONS; a -XX:Flags or
 * -XX:VMOptionsFile file), is left alone; two runs in one JVM add one directive; and a JVM where the
 * directive cannot be added (no writable temporary directory, the directive limit reached) goes on
 * with its default JIT, exits normally and prints nothing.
 */
class JitChoiceChildJvmTest {
    private static final long SMALL = 810_000_000L;

    /** In the child: a small run's choice (or {@code args[0]} bytes), then a second run's, then what the compiler has. */
    public static void main(String[] args) throws Exception {
        JitChoice.forRun(args.length > 0 ? Long.parseLong(args[0]) : SMALL);
        JitChoice.forRun(0);
        String stack = String.valueOf(ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
            "compilerDirectivesPrint", new Object[] {null}, new String[] {String[].class.getName()}));
        System.out.println("directives=" + stack.split("Directive:", -1).length + " c2Excluded=" + stack.contains("Exclude:true"));
    }

    @Test
    void aSmallRunExcludesC2OnceEvenWithTwoRuns() throws Exception {
        assertEquals("directives=3 c2Excluded=true", child(List.of(), Map.of()));   // the default directive and ours
        assertEquals("directives=2 c2Excluded=false", child(List.of("-D-", "10000000000"), Map.of()), "a large run keeps C2");
        assertEquals("directives=3 c2Excluded=true", child(List.of("-XX:+DisableAttachMechanism"), Map.of()),
            "the diagnostic command is not the attach mechanism");
    }

    @Test
    void aJitTheUserChoseIsLeftAloneWhereverItCameFrom() throws Exception {
        String untouched = "directives=2 c2Excluded=false";
        assertEquals(untouched, child(List.of("-XX:TieredStopAtLevel=1"), Map.of()), "the command line (PGBACKFILL_JAVA_OPTS)");
        assertEquals(untouched, child(List.of(), Map.of("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1")), "JAVA_TOOL_OPTIONS");
        assertEquals(untouched, child(List.of(), Map.of("JDK_JAVA_OPTIONS", "-XX:-TieredCompilation")), "JDK_JAVA_OPTIONS");
        assertEquals(untouched, child(List.of(), Map.of("_JAVA_OPTIONS", "-XX:TieredStopAtLevel=3")), "_JAVA_OPTIONS");
        // C2 alone: excluding it would leave the interpreter (the flags in effect say so too, not only the arguments)
        assertEquals(untouched, child(List.of("-XX:CompilationMode=high-only"), Map.of()), "-XX:CompilationMode");
        Path dir = Files.createTempDirectory("jit-choice");
        try {
            Path flags = Files.writeString(dir.resolve("flags"), "-TieredCompilation\n");
            // C2 alone (no tiers): excluding C2 would leave the interpreter alone
            assertEquals(untouched, child(List.of("-XX:Flags=" + flags), Map.of()), "a -XX:Flags file");
            Path level = Files.writeString(dir.resolve("level"), "TieredStopAtLevel=1\n");
            assertEquals(untouched, child(List.of("-XX:Flags=" + level), Map.of()), "a -XX:Flags file");
            Path options = Files.writeString(dir.resolve("options"), "-XX:TieredStopAtLevel=1\n");
            assertEquals(untouched, child(List.of("-XX:VMOptionsFile=" + options), Map.of()), "a -XX:VMOptionsFile file");
        } finally {
            try (var files = Files.list(dir)) {
                for (Path f : files.toList()) Files.delete(f);
            }
            Files.delete(dir);
        }
    }

    @Test
    void whereTheDirectiveCannotBeAddedTheRunGoesOnWithTheDefaultJit() throws Exception {
        assertEquals("directives=2 c2Excluded=false", child(List.of("-Djava.io.tmpdir=/proc/no-such-dir"), Map.of()), "no temporary directory");
        assertEquals("directives=2 c2Excluded=false", child(List.of("-Djava.io.tmpdir=/dev/null"), Map.of()), "a temporary directory that is a file");
        assertEquals("directives=2 c2Excluded=false", child(List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:CompilerDirectivesLimit=1"), Map.of()), "the directive limit reached");
        Path spaced = Files.createTempDirectory("jit choice with spaces");
        try {
            assertEquals("directives=3 c2Excluded=true", child(List.of("-Djava.io.tmpdir=" + spaced), Map.of()),
                "a temporary directory whose path has spaces");
        } finally {
            Files.delete(spaced);
        }
    }

    /** Runs {@link #main} in a new JVM with these options (a "-D-" option: the next one is main's argument) and environment; returns its one line. */
    private static String child(List<String> options, Map<String, String> env) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-cp", System.getProperty("java.class.path")));
        List<String> mainArgs = new ArrayList<>();
        for (int i = 0; i < options.size(); i++) {
            if (options.get(i).equals("-D-")) mainArgs.add(options.get(++i)); else command.add(options.get(i));
        }
        command.add(JitChoiceChildJvmTest.class.getName());
        command.addAll(mainArgs);
        ProcessBuilder b = new ProcessBuilder(command).redirectErrorStream(true);
        for (String v : List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS")) b.environment().remove(v);
        b.environment().putAll(env);
        Process p = b.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM did not end");
        assertEquals(0, p.exitValue(), out);
        // the JVM says where options were picked up from; anything else (a stack trace, a warning) is a failure
        List<String> lines = out.lines().filter(l -> !l.startsWith("Picked up ") && !l.startsWith("NOTE: Picked up ")).toList();
        assertEquals(1, lines.size(), "the child printed more than its one line:\n" + out);
        assertFalse(lines.get(0).isEmpty());
        return lines.get(0);
    }
}
