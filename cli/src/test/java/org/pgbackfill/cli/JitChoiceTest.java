package org.pgbackfill.cli;

import org.junit.jupiter.api.Test;

import javax.management.MBeanServer;
import javax.management.ObjectName;
import java.lang.management.ManagementFactory;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The tool chooses its JIT for the run (issue #17): C1 below the measured break-even, C2 beyond; the
 * directive that turns C2 off must reach this JVM's compiler (its directive stack then excludes C2 for
 * every method), and a JIT the command line chose is left alone.
 */
class JitChoiceTest {
    @Test
    void theDirectiveExcludesC2ForEveryMethod() throws Exception {
        // (a run made in this JVM by another test may have added one already: the stack is compared, not assumed empty)
        String before = stack();
        try {
            assertTrue(JitChoice.withoutC2(), "the JVM took the directive");
            String after = stack();
            assertTrue(after.length() > before.length() && after.endsWith(before.substring(before.indexOf("Directive:"))),
                "one directive more, on top:\n" + after);
            String top = after.substring(0, after.length() - before.length() + before.indexOf("Directive:"));
            int c2 = top.indexOf("c2 directives:");
            assertTrue(top.contains("matching: *.*") && c2 >= 0 && top.indexOf("Exclude:true", c2) > c2,
                "C2 is excluded for every method:\n" + top);
        } finally {
            dcmd("compilerDirectivesRemove");   // the top one: this JVM goes on as before
        }
        assertEquals(before, stack());
    }

    @Test
    void theFlagsInEffectSayWhetherC1IsThereToTakeOver() {
        // this JVM is started with no JIT option (the surefire argLine has none): tiered C1 and C2, the JVM's own
        assertTrue(JitChoice.tieredWithC2ByDefault(), ManagementFactory.getRuntimeMXBean().getInputArguments().toString());
    }

    @Test
    void c1BelowTheBreakEvenC2Beyond() {
        assertTrue(JitChoice.prefersC1(810_000_000L, List.of("-Xmx512m")), "a 1.6 GB table (810 MB stored)");
        assertTrue(JitChoice.prefersC1(0, List.of()), "nothing left to load (finish, a resumed run)");
        assertFalse(JitChoice.prefersC1(JitChoice.C2_FROM_STORED_BYTES, List.of()));
        assertFalse(JitChoice.prefersC1(100_000_000_000L, List.of("-Xmx512m")), "a 200 GB table keeps C2");
        assertFalse(JitChoice.prefersC1(810_000_000L, List.of("-XX:TieredStopAtLevel=4")), "the user's choice stands");
    }

    @Test
    void aJitChosenOnTheCommandLineIsLeftAlone() {
        assertTrue(JitChoice.userChose(List.of("-Xmx512m", "-XX:TieredStopAtLevel=4")));
        assertTrue(JitChoice.userChose(List.of("-XX:-TieredCompilation")));
        assertTrue(JitChoice.userChose(List.of("-XX:+UnlockExperimentalVMOptions", "-XX:+UseJVMCICompiler")), "Graal in place of C2");
        assertTrue(JitChoice.userChose(List.of("-XX:CompilerDirectivesFile=/etc/jit.json")));
        // a -XX:Flags file's lines, as the JVM lists them
        assertTrue(JitChoice.userChose(List.of("-TieredCompilation", "-XX:Flags=/etc/jvm.flags")));
        assertTrue(JitChoice.userChose(List.of("TieredStopAtLevel=1", "-XX:Flags=/etc/jvm.flags")));
        assertFalse(JitChoice.userChose(List.of("+UseSerialGC", "-XX:Flags=/etc/jvm.flags")));
        assertFalse(JitChoice.userChose(List.of("-Xmx512m", "-XX:+UseSerialGC", "-XX:StartFlightRecording=filename=a.jfr")));
        assertFalse(JitChoice.userChose(List.of()));
    }

    private static String stack() throws Exception {
        return String.valueOf(dcmd("compilerDirectivesPrint"));
    }

    private static Object dcmd(String operation) throws Exception {
        MBeanServer s = ManagementFactory.getPlatformMBeanServer();
        return s.invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"), operation, new Object[] {null},
            new String[] {String[].class.getName()});
    }
}
