package org.pgbackfill.job.currentmessage;

import org.pgbackfill.testing.PythonOracle;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The production rule against src/test/resources/currentmessage/oracle.py, SPEC.md 7 written in Python,
 * so Python's own json.loads, hashing and ordering decide. Skipped when python3 is missing.
 */
class CurrentMessagePythonOracleTest {
    static final int CORPUS = 20_000;

    @Test
    void matchesPythonOnTheRandomCorpus() throws Exception {
        Path script = Path.of("src/test/resources/currentmessage/oracle.py").toAbsolutePath();
        Assumptions.assumeTrue(PythonOracle.available(), "python3 is not on the PATH: the Python oracle test is skipped");
        long t0 = System.nanoTime();
        List<Corpus.Case> cases = new Corpus(0x9a1b2c3dL).cases(CORPUS);
        ObjectMapper json = new ObjectMapper();
        Path input = Files.createTempFile("current-message-corpus", ".jsonl");
        try {
            try (BufferedWriter w = Files.newBufferedWriter(input, StandardCharsets.UTF_8)) {
                for (Corpus.Case c : cases) {
                    ObjectNode o = json.createObjectNode();
                    o.put("chat", c.chatId());
                    o.put("current", c.current());
                    o.put("doc", c.document());
                    ArrayNode rows = o.putArray("rows");
                    for (Corpus.Row r : c.rows()) {
                        ArrayNode a = rows.addArray();
                        a.add(r.id());
                        a.add(r.parentId());
                        if (r.createdAt() == null) a.addNull(); else a.add(r.createdAt());
                    }
                    w.write(json.writeValueAsString(o));
                    w.write('\n');
                }
            }
            List<String> answers = PythonOracle.answers(script, input, 300);
            assertEquals(cases.size(), answers.size(), "oracle.py answered a different number of cases");
            Map<String, Integer> tally = new TreeMap<>();
            List<String> mismatches = new ArrayList<>();
            for (int i = 0; i < cases.size(); i++) {
                JsonNode a = json.readTree(answers.get(i));
                String want = switch (a.get("kind").asText()) {
                    case "write" -> "write:" + a.get("value").asText();
                    case "rejected" -> "rejected:" + a.get("reason").asText();
                    default -> "unchanged";
                };
                tally.merge(want.startsWith("write:") ? "write" : want, 1, Integer::sum);
                String got = CurrentMessageRuleTest.production(cases.get(i));
                if (!got.equals(want) && mismatches.size() < 10) {
                    mismatches.add(cases.get(i) + "\n  production " + got + "\n  python     " + want);
                }
            }
            System.out.printf("current_message_id python oracle: %d cases in %d ms, outcomes %s%n",
                cases.size(), (System.nanoTime() - t0) / 1_000_000, tally);
            if (!mismatches.isEmpty()) fail(String.join("\n", mismatches));
            if (tally.getOrDefault("rejected:UNORDERABLE_TIMES", 0) == 0 || tally.getOrDefault("write", 0) < cases.size() / 10) {
                fail("the corpus does not reach Python's interesting outcomes: " + tally);
            }
        } finally {
            Files.deleteIfExists(input);
        }
    }
}
