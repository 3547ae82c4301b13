package org.pgbackfill.job.currentmessage;

import org.junit.jupiter.api.Test;
import org.pgbackfill.extract.DocumentSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Hostile documents the random corpus reaches rarely or not at all, each through the production rule
 * and the independent {@link ReferenceRule}: they must agree, on a value or on a recorded rejection
 * (never an exception). Duplicate keys at every level, huge ids, nesting at Python's limit, history
 * missing or of the wrong type, currentId of every wrong JSON type, NUL and lone surrogates, and bytes
 * that are not UTF-8.
 */
class ContrivedDocumentsTest {
    private static final String BIG = "k".repeat(200_000);

    private static List<Corpus.Case> cases() {
        List<Corpus.Case> out = new ArrayList<>();
        String[] docs = {
            // duplicate keys: the last wins at every level
            "{\"history\":{\"currentId\":\"a\",\"currentId\":\"b\",\"messages\":{\"a\":{},\"b\":{}}}}",
            "{\"history\":{\"currentId\":\"b\",\"currentId\":5,\"messages\":{\"a\":{\"timestamp\":2},\"b\":{\"timestamp\":1}}}}",
            "{\"history\":{\"messages\":{\"a\":{\"timestamp\":9},\"a\":{\"timestamp\":1},\"b\":{\"timestamp\":5}}}}",
            "{\"history\":{\"messages\":{\"a\":{\"parentId\":[1]},\"a\":{\"parentId\":null}}}}",
            "{\"currentId\":\"x\",\"history\":{\"messages\":{\"x\":{}}},\"currentId\":null}",
            // huge ids, as key, candidate and parent
            "{\"history\":{\"currentId\":\"" + BIG + "\",\"messages\":{\"" + BIG + "\":{},\"b\":{\"timestamp\":3}}}}",
            "{\"history\":{\"messages\":{\"" + BIG + "\":{\"timestamp\":4},\"b\":{\"parentId\":\"" + BIG + "\",\"timestamp\":3}}}}",
            "{\"messages\":[{\"id\":\"" + BIG + "\",\"timestamp\":1}]}",
            // nesting at and beyond what Python reads, outside and inside the history
            "{\"history\":{\"messages\":{\"a\":{}}},\"deep\":" + "[".repeat(980) + "]".repeat(980) + "}",
            "{\"history\":{\"messages\":{\"a\":{}}},\"deep\":" + "[".repeat(990) + "]".repeat(990) + "}",
            "{\"history\":{\"messages\":{\"a\":{\"content\":" + "{\"x\":".repeat(1200) + "1" + "}".repeat(1200) + "}}}}",
            // history missing, or not an object; messages not an object
            "{\"currentId\":\"m\",\"messages\":[{\"id\":\"m\"},{\"id\":\"n\",\"timestamp\":5}]}",
            "{\"history\":null,\"currentId\":\"m\",\"messages\":[{\"id\":\"n\"}]}",
            "{\"history\":[{\"currentId\":\"a\"}],\"branchPointMessageId\":\"z\",\"messages\":[{\"id\":\"z\"}]}",
            "{\"history\":{\"currentId\":\"a\",\"messages\":[{\"id\":\"a\"}]}}",
            "{\"history\":{\"currentId\":\"a\",\"messages\":\"a\"}}",
            // currentId of every wrong JSON type
            "{\"history\":{\"currentId\":{\"id\":\"a\"},\"messages\":{\"a\":{\"timestamp\":1},\"b\":{\"timestamp\":2}}}}",
            "{\"history\":{\"currentId\":[\"a\"],\"messages\":{\"a\":{\"timestamp\":1},\"b\":{\"timestamp\":2}}}}",
            "{\"history\":{\"currentId\":1,\"messages\":{\"1\":{\"timestamp\":1},\"b\":{\"timestamp\":2}}}}",
            "{\"history\":{\"currentId\":true,\"messages\":{\"true\":{\"timestamp\":1},\"b\":{\"timestamp\":2}}}}",
            "{\"history\":{\"currentId\":1.5e300,\"messages\":{\"a\":{}}},\"currentId\":NaN,\"branchPointMessageId\":\"a\"}",
            // NUL and lone surrogates as candidate, key and parent
            "{\"history\":{\"currentId\":\"a\\u0000\",\"messages\":{\"a\\u0000\":{}}}}",
            "{\"history\":{\"currentId\":\"\\udc00\",\"messages\":{\"b\":{}}}}",
            "{\"history\":{\"messages\":{\"\\ud800\":{\"timestamp\":3},\"b\":{\"timestamp\":1}}}}",
            "{\"history\":{\"messages\":{\"a\":{\"parentId\":\"\\u0000\"},\"\\u0000\":{\"timestamp\":1}}}}",
            // timestamps that Python cannot order, only among leaves
            "{\"history\":{\"messages\":{\"a\":{\"timestamp\":[1]},\"b\":{\"timestamp\":{}}}}}",
            "{\"history\":{\"messages\":{\"a\":{\"timestamp\":null},\"b\":{\"timestamp\":0}}}}",
            // double encodings
            Corpus.quote("{\"history\":{\"currentId\":\"q\",\"messages\":{\"q\":{}}}}"),
            Corpus.quote(Corpus.quote("{\"history\":{\"messages\":{\"q\":{}}}}")),
        };
        int i = 0;
        for (String d : docs) {
            String chat = "c" + i++;
            out.add(new Corpus.Case(chat, null, d, List.of()));
            out.add(new Corpus.Case(chat, "zz", d, List.of(new Corpus.Row(chat + "-r", null, 1L))));   // with a row: step 3/4 first
        }
        return out;
    }

    @Test
    void productionAndReferenceAgreeOnEveryContrivedDocument() throws IOException {
        List<String> mismatches = new ArrayList<>();
        for (Corpus.Case c : cases()) {
            String got = CurrentMessageRuleTest.production(c), want = ReferenceRule.decide(c);
            if (!got.equals(want)) mismatches.add(abbreviate(c.document()) + " rows " + c.rows() + "\n  production " + abbreviate(got)
                + "\n  reference  " + abbreviate(want));
        }
        if (!mismatches.isEmpty()) fail(String.join("\n", mismatches));
    }

    /** Bytes that are not UTF-8 (the server never sends such, but a document source may): decided or rejected, never thrown. */
    @Test
    void bytesThatAreNotUtf8AreDecidedOrRejected() throws IOException {
        byte[][] docs = {
            {'{', '"', 'h', '"', ':', '"', (byte) 0xff, '"', '}'},
            "{\"history\":{\"currentId\":\"a\",\"messages\":{\"a\":{}}},\"x\":\"\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1),
            {(byte) 0xc3},
        };
        for (byte[] d : docs) {
            DocumentFacts facts = DocumentFacts.read(DocumentSource.of(d));
            CurrentMessageOutcome o = CurrentMessageRule.decide("c", null, facts, List.of());
            assertTrue(o != null, "an outcome");
            if (o instanceof CurrentMessageOutcome.Rejected r) assertEquals(CurrentMessageReject.DOCUMENT_INVALID_JSON, r.reason(), r.detail());
        }
    }

    private static String abbreviate(String s) {
        return s == null || s.length() < 300 ? s : s.substring(0, 150) + "…(" + s.length() + " chars)…" + s.substring(s.length() - 100);
    }
}
