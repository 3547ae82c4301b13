package org.pgbackfill.seed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ChatGeneratorTest {
    private static final long BASE = 1_750_000_000L;

    private static GeneratorOptions.Builder ordinary() {
        return GeneratorOptions.builder().edgeCaseShare(0).epochBase(BASE);
    }

    @Test
    void sameSeedGivesTheSameRowsByteForByte() {
        GeneratorOptions o = GeneratorOptions.builder().seed(99).chats(400).edgeCaseShare(0.3).build();
        ChatGenerator a = new ChatGenerator(o), b = new ChatGenerator(o);
        long docs = 0;
        while (a.hasNext()) {
            GeneratedChat x = a.next(), y = b.next();
            assertEquals(x.id(), y.id());
            assertEquals(x.userId(), y.userId());
            assertEquals(x.title(), y.title());
            assertEquals(x.createdAt(), y.createdAt());
            assertEquals(x.updatedAt(), y.updatedAt());
            assertEquals(x.archived(), y.archived());
            assertEquals(x.pinned(), y.pinned());
            assertEquals(x.meta(), y.meta());
            assertEquals(x.edgeCase(), y.edgeCase());
            assertArrayEquals(x.documentBytes(), y.documentBytes(), x.toString());
            docs += x.documentLength();
        }
        assertFalse(b.hasNext());
        assertEquals(a.generatedBytes(), docs);

        ChatGenerator other = new ChatGenerator(o.toBuilder().seed(100).build());
        ChatGenerator again = new ChatGenerator(o);
        assertFalse(Objects.equals(other.next().id(), again.next().id()), "another seed, other chats");
    }

    @Test
    void ordinaryDocumentsHaveOpenWebUisShape() {
        ChatGenerator g = new ChatGenerator(ordinary().seed(1).chats(300).meanDocumentBytes(32 << 10).build());
        int withSources = 0, withImages = 0, withBranches = 0, assistants = 0, withUsage = 0;
        while (g.hasNext()) {
            GeneratedChat c = g.next();
            assertNull(c.edgeCase());
            JsonNode d = GeneratedJson.tree(c);
            for (String k : List.of("id", "title", "models", "params", "history", "messages", "tags", "timestamp", "files")) {
                assertTrue(d.has(k), c + " has no " + k);
            }
            assertEquals(c.title(), d.get("title").textValue());
            assertTrue(d.get("models").isArray() && d.get("models").size() >= 1);
            assertTrue(d.get("timestamp").canConvertToLong() && d.get("timestamp").longValue() / 1000 == c.createdAt(),
                "top-level timestamp is the creation time in milliseconds");
            assertTrue(c.updatedAt() >= c.createdAt() && c.updatedAt() <= BASE, c.toString());
            assertTrue(c.userId() != null && c.id().matches("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));

            JsonNode messages = d.get("history").get("messages");
            assertTrue(messages.isObject() && messages.size() >= 2, c.toString());
            for (Iterator<Map.Entry<String, JsonNode>> it = messages.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                JsonNode m = e.getValue();
                assertEquals(e.getKey(), m.get("id").textValue(), "key is the message id");
                String role = m.get("role").textValue();
                assertTrue(role.equals("user") || role.equals("assistant"), role);
                assertTrue(m.get("content").isTextual());
                long ts = m.get("timestamp").longValue();
                assertTrue(m.get("timestamp").isIntegralNumber(), "timestamp is an integer");
                boolean seconds = ts >= c.createdAt() && ts <= BASE;
                boolean millis = ts >= c.createdAt() * 1000 && ts <= BASE * 1000 + 999;
                assertTrue(seconds || millis, "timestamp " + ts + " outside the chat's life in " + c);
                JsonNode parent = m.get("parentId");
                assertTrue(parent.isNull() || messages.has(parent.textValue()), "parent exists");
                for (JsonNode child : m.get("childrenIds")) {
                    assertEquals(e.getKey(), messages.get(child.textValue()).get("parentId").textValue(), "child points back");
                }
                if (m.get("childrenIds").size() > 1) withBranches++;
                if (role.equals("assistant")) {
                    assistants++;
                    assertTrue(m.get("model").isTextual() && m.get("modelName").isTextual());
                    assertTrue(m.get("done").isBoolean());
                    if (m.has("usage")) withUsage++;
                    if (m.has("sources")) {
                        withSources++;
                        for (JsonNode s : m.get("sources")) {
                            assertTrue(s.get("source").isObject());
                            assertEquals(s.get("document").size(), s.get("metadata").size());
                            assertTrue(s.get("document").get(0).isTextual());
                        }
                    }
                } else if (m.has("files")) {
                    for (JsonNode f : m.get("files")) {
                        if (f.get("type").textValue().equals("image")) {
                            withImages++;
                            assertTrue(f.get("url").textValue().startsWith("data:image/"));
                        }
                    }
                }
            }
            // messages[] is the current path, root first, each a copy of its history entry
            List<String> path = new ArrayList<>();
            for (String id = d.get("history").get("currentId").textValue(); id != null; ) {
                path.add(id);
                JsonNode p = messages.get(id).get("parentId");
                id = p.isNull() ? null : p.textValue();
            }
            Collections.reverse(path);
            JsonNode array = d.get("messages");
            assertEquals(path.size(), array.size(), c.toString());
            for (int i = 0; i < path.size(); i++) {
                assertEquals(messages.get(path.get(i)), array.get(i));
                assertEquals(i % 2 == 0 ? "user" : "assistant", array.get(i).get("role").textValue());
            }
        }
        assertTrue(withSources > 20, "RAG sources in some chats: " + withSources);
        assertTrue(withImages > 5, "pasted images in some chats: " + withImages);
        assertTrue(withBranches > 5, "regenerated answers in some chats: " + withBranches);
        assertTrue(withUsage > assistants / 2, "usage on most answers");
    }

    @Test
    void textIsUnicodeEscapedMostlyAndRawSometimes() {
        ChatGenerator g = new ChatGenerator(ordinary().seed(2).chats(200).meanDocumentBytes(16 << 10).build());
        int escaped = 0, raw = 0, emoji = 0, cjk = 0;
        while (g.hasNext()) {
            GeneratedChat c = g.next();
            String t = c.documentText();
            boolean hasRaw = false;
            for (int i = 0; i < c.documentLength(); i++) if (c.buffer()[i] < 0) { hasRaw = true; break; }
            if (hasRaw) raw++;
            if (t.contains("\\u00")) escaped++;
            if (t.contains("\\ud83d") || t.contains("😀") || t.contains("🚀") || t.contains("🔥")) emoji++;
            if (t.contains("数据") || t.contains("\\u6570\\u636e")) cjk++;
        }
        assertTrue(escaped > 120, "Python's ensure_ascii form in most documents: " + escaped);
        assertTrue(raw > 20, "raw UTF-8 in some documents: " + raw);
        assertTrue(emoji > 50 && cjk > 50, "emoji " + emoji + ", CJK " + cjk);
    }

    @Test
    void sizesFollowTheRequestedLogNormal() {
        int n = 4000;
        int mean = 64 << 10;
        double sigma = 1.0;
        ChatGenerator g = new ChatGenerator(ordinary().seed(3).chats(n).meanDocumentBytes(mean).sizeSigma(sigma).build());
        List<Integer> sizes = new ArrayList<>();
        while (g.hasNext()) sizes.add(g.next().documentLength());
        Collections.sort(sizes);
        double actualMean = g.generatedBytes() / (double) n;
        double median = sizes.get(n / 2);
        double expectedMedian = mean * Math.exp(-sigma * sigma / 2);
        assertEquals(mean, actualMean, mean * 0.15, "mean document size");
        assertEquals(expectedMedian, median, expectedMedian * 0.15, "median document size");
        // spread: the 90th percentile of a log-normal is exp(1.2816 sigma) times the median
        double p90 = sizes.get(n * 9 / 10);
        assertEquals(expectedMedian * Math.exp(1.2816 * sigma), p90, expectedMedian * Math.exp(1.2816 * sigma) * 0.2, "90th percentile");
    }

    @Test
    void fixedSizeWhenSigmaIsZeroAndMaximumIsRespected() {
        ChatGenerator g = new ChatGenerator(ordinary().seed(4).chats(100).meanDocumentBytes(200_000).sizeSigma(0).build());
        while (g.hasNext()) {
            GeneratedChat c = g.next();
            assertEquals(200_000, c.documentLength(), 60_000, c.toString());
        }
        assertEquals(200_000, g.generatedBytes() / 100.0, 10_000, "mean size");
        int max = 2 << 20;
        ChatGenerator big = new ChatGenerator(ordinary().seed(5).chats(200).meanDocumentBytes(1 << 20).sizeSigma(2)
            .maxDocumentBytes(max).build());
        int atCap = 0;
        while (big.hasNext()) {
            GeneratedChat c = big.next();
            assertTrue(c.documentLength() <= max * 1.05, c.toString());
            if (c.documentLength() > max * 0.9) atCap++;
        }
        assertTrue(atCap > 8, "a heavy tail reaches the cap (10% expected): " + atCap);
    }

    @Test
    void defaultsProduceTheHeavyTailOfRealTables() {
        ChatGenerator g = new ChatGenerator(GeneratorOptions.builder().seed(6).targetBytes(400_000_000).edgeCaseShare(0).build());
        int largest = 0, small = 0;
        while (g.hasNext()) {
            GeneratedChat c = g.next();
            largest = Math.max(largest, c.documentLength());
            if (c.documentLength() < 16 << 10) small++;
        }
        assertTrue(g.generatedBytes() >= 400_000_000);
        assertTrue(largest > 5_000_000, "tens of MB at the top: " + largest);
        assertTrue(small > g.generated() / 2, "most chats a few KB: " + small + " of " + g.generated());
    }

    @Test
    void incompressibleShareIsTheShareOfBase64Bytes() {
        assertEquals(0.3, base64Share(0.3), 0.08);
        assertEquals(0.1, base64Share(0.1), 0.05);
        assertEquals(0.0, base64Share(0.0), 0.001);
    }

    private static double base64Share(double share) {
        ChatGenerator g = new ChatGenerator(ordinary().seed(7).chats(1500).meanDocumentBytes(48 << 10).sizeSigma(1)
            .incompressibleShare(share).build());
        long b64 = 0;
        while (g.hasNext()) {
            GeneratedChat c = g.next();
            b64 += base64Bytes(c.buffer(), c.documentLength());
        }
        return b64 / (double) g.generatedBytes();
    }

    /** Bytes of base64 following "base64," markers (counted once per occurrence, copies included). */
    static long base64Bytes(byte[] doc, int len) {
        byte[] marker = "base64,".getBytes(StandardCharsets.US_ASCII);
        long total = 0;
        outer:
        for (int i = 0; i + marker.length < len; i++) {
            for (int k = 0; k < marker.length; k++) if (doc[i + k] != marker[k]) continue outer;
            int j = i + marker.length;
            while (j < len && isBase64(doc[j])) j++;
            total += j - i - marker.length;
            i = j;
        }
        return total;
    }

    private static boolean isBase64(byte b) {
        return b >= 'A' && b <= 'Z' || b >= 'a' && b <= 'z' || b >= '0' && b <= '9' || b == '+' || b == '/' || b == '=';
    }

    @Test
    void sharedUsersAndTheUserPool() {
        int n = 4000;
        ChatGenerator g = new ChatGenerator(ordinary().seed(8).chats(n).meanDocumentBytes(4096).sizeSigma(0)
            .sharedUserShare(0.25).users(7).build());
        int shared = 0;
        Set<String> owners = new HashSet<>();
        while (g.hasNext()) {
            String u = g.next().userId();
            assertNotNull(u);
            if (u.startsWith("shared-")) shared++; else owners.add(u);
        }
        assertEquals(0.25, shared / (double) n, 0.03);
        assertEquals(7, owners.size());
    }

    @Test
    void targetBytesStopsTheGeneratorAndImpliesNoChatLimit() {
        GeneratorOptions o = GeneratorOptions.builder().seed(9).targetBytes(20_000_000).build();
        assertEquals(Long.MAX_VALUE, o.chats());
        ChatGenerator g = new ChatGenerator(o);
        long last = 0;
        while (g.hasNext()) last = g.next().documentLength();
        assertTrue(g.generatedBytes() >= 20_000_000 && g.generatedBytes() - last < 20_000_000);
        GeneratorOptions both = GeneratorOptions.builder().chats(10).targetBytes(1L << 40).build();
        assertEquals(10, both.chats());
    }

    @Test
    void badOptionsFailWithTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> GeneratorOptions.builder().edgeCaseShare(1.5).build());
        assertTrue(e.getMessage().contains("1.5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> GeneratorOptions.builder().meanDocumentBytes(10).build());
        assertThrows(IllegalArgumentException.class, () -> GeneratorOptions.builder().sizeSigma(-1).build());
        assertThrows(IllegalArgumentException.class,
            () -> GeneratorOptions.builder().edgeCases(Set.of()).edgeCaseShare(0.1).build());
        assertThrows(IllegalArgumentException.class,
            () -> GeneratorOptions.builder().meanDocumentBytes(1 << 20).maxDocumentBytes(1 << 16).build());
    }
}
