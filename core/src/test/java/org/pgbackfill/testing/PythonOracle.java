package org.pgbackfill.testing;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * python3 as the oracle of "as Python does": a script of the test resources reads cases from a file,
 * a line each, and answers a line each. The suite must pass where only Java and Maven are installed,
 * so a test that needs it checks {@link #available()} and is skipped without it.
 */
public final class PythonOracle {
    private PythonOracle() { }

    /** Whether python3 is on the PATH. */
    public static boolean available() {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(dir, "python3"))) return true;
        }
        return false;
    }

    /** The lines {@code script} prints for {@code input}; fails the test if it fails or takes more than {@code timeoutSeconds}. */
    public static List<String> answers(Path script, Path input, int timeoutSeconds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("python3", script.toString()).redirectInput(input.toFile())
            .redirectError(ProcessBuilder.Redirect.INHERIT);
        pb.environment().put("PYTHONIOENCODING", "utf-8");
        Process p = pb.start();
        List<String> answers = new ArrayList<>();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; ) answers.add(line);
        }
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(script.getFileName() + " did not finish");
        }
        assertEquals(0, p.exitValue(), script.getFileName() + " failed");
        return answers;
    }
}
