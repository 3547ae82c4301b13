package org.pgbackfill.extract;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One small fixture per rule of SPEC.md sections 2, 3 and 6. Every test runs the document both
 * ways the extractor can read it (one buffered pass, and scan + stream for large documents), since
 * both must give the same answer.
 */
class MessageExtractorTest {
    static final long NOW = 1_750_000_000L;

    /** Extracts with the one-pass path and with the two-pass path; asserts they agree; returns one. */
    static Collected extract(String doc) {
        Collected buffered = run(doc, Integer.MAX_VALUE);
        Collected streamed = run(doc, 0);
        assertEquals(describe(buffered), describe(streamed), "one-pass and two-pass extraction differ for " + doc);
        return buffered;
    }

    private static Collected run(String doc, int bufferedLimit) {
        Collected c = new Collected();
        try {
            new MessageExtractor(NOW, bufferedLimit).extract("chat", "user", DocumentSource.of(doc.getBytes(StandardCharsets.UTF_8)), c);
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return c;
    }

    private static String describe(Collected c) {
        StringBuilder b = new StringBuilder();
        c.rows.stream().sorted((x, y) -> x.id.compareTo(y.id)).forEach(r -> {
            b.append(r.id).append('|').append(r.role).append('|').append(r.parentId).append('|').append(r.modelId)
                .append('|').append(r.done).append('|').append(r.createdAt);
            for (int i = 0; i < MessageRow.JSON_COLUMNS.length; i++) b.append('|').append(r.json(i));
            b.append('\n');
        });
        c.rejected.stream().map(r -> r.key() + ":" + r.reason()).sorted().forEach(s -> b.append(s).append('\n'));
        c.rejectedChats.forEach(r -> b.append("chat:").append(r.reason()).append('\n'));
        return b.toString();
    }

    static String messages(String body) {
        return "{\"history\":{\"messages\":{" + body + "}}}";
    }

    static String message(String fields) {
        return messages("\"m\":{" + fields + "}");
    }

    @Nested
    class WhichDocumentsYieldRows {
        @ParameterizedTest
        @ValueSource(strings = {"null", "false", "0", "0.0", "-0", "\"\"", "{}", "[]", "{\"history\":{}}", "{\"messages\":[{\"role\":\"user\"}]}"})
        void falsyAndEmptyDocumentsYieldNothing(String doc) {
            Collected c = extract(doc);
            assertTrue(c.rows.isEmpty() && c.rejected.isEmpty() && c.rejectedChats.isEmpty(), doc);
        }

        @ParameterizedTest
        @ValueSource(strings = {"[1]", "[{}]", "7", "-1.5", "true"})
        void truthyNonObjectsAreRejectedChats(String doc) {
            Collected c = extract(doc);
            assertEquals(List.of(new Collected.ChatRejection("chat", RejectReason.NOT_AN_OBJECT, "the document is not a JSON object")), c.rejectedChats);
            assertTrue(c.rows.isEmpty());
        }

        @Test
        void doubleEncodedDocumentIsDecodedOnce() {
            String inner = message("\"role\":\"user\",\"content\":\"caf\\u00e9 \\ud83d\\ude00\"");
            String doc = "\"" + inner.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
            MessageRow r = extract(doc).only();
            assertEquals("user", r.role);
            assertEquals("\"café 😀\"", r.json(0));
        }

        @Test
        void doubleEncodedInvalidJsonIsARejectedChatWithNoRows() {
            Collected c = extract("\"{\\\"history\\\": \"");
            assertEquals(RejectReason.INVALID_JSON, c.rejectedChats.get(0).reason());
            assertTrue(c.rows.isEmpty());
        }

        @ParameterizedTest
        @ValueSource(strings = {"\"[1,2]\"", "\"\\\"x\\\"\"", "\"null\"", "\"7\""})
        void doubleEncodedNonObjectIsRejected(String doc) {
            assertEquals(RejectReason.NOT_AN_OBJECT, extract(doc).rejectedChats.get(0).reason());
        }

        @Test
        void doubleEncodedEmptyObjectYieldsNothing() {
            Collected c = extract("\"{}\"");
            assertTrue(c.rows.isEmpty() && c.rejectedChats.isEmpty());
        }

        @ParameterizedTest
        @ValueSource(strings = {"{\"history\":null}", "{\"history\":[]}", "{\"history\":\"x\"}",
            "{\"history\":{\"messages\":null}}", "{\"history\":{\"messages\":[{\"role\":\"user\"}]}}",
            "{\"history\":{\"messages\":\"x\"}}"})
        void historyAndMessagesMustBeObjects(String doc) {
            Collected c = extract(doc);
            assertTrue(c.rows.isEmpty() && c.rejected.isEmpty() && c.rejectedChats.isEmpty(), doc);
        }

        @Test
        void nonObjectMessagesAreSkippedSilently() {
            Collected c = extract(messages("\"a\":\"text\",\"b\":7,\"c\":null,\"d\":[1],\"e\":{\"role\":\"user\"}"));
            assertEquals("chat-e", c.only().id);
            assertTrue(c.rejected.isEmpty());
        }

        @ParameterizedTest
        @ValueSource(strings = {"", "\"role\":null,", "\"role\":false,", "\"role\":0,", "\"role\":0.0,", "\"role\":\"\",",
            "\"role\":[],", "\"role\":{},"})
        void falsyRolesAreSkippedSilently(String role) {
            Collected c = extract(message(role + "\"content\":\"x\""));
            assertTrue(c.rows.isEmpty() && c.rejected.isEmpty(), role);
        }
    }

    @Nested
    class DuplicateKeys {
        @Test
        void lastHistoryWinsEvenWhenItIsNotAnObject() {
            assertTrue(extract("{\"history\":{\"messages\":{\"m\":{\"role\":\"user\"}}},\"history\":5}").rows.isEmpty());
            assertEquals("chat-b", extract("{\"history\":7,\"history\":{\"messages\":{\"b\":{\"role\":\"user\"}}}}").only().id);
        }

        @Test
        void lastHistoryReplacesTheFirstWhole() {
            Collected c = extract("{\"history\":{\"messages\":{\"a\":{\"role\":\"user\"}}},\"history\":{\"messages\":{\"b\":{\"role\":\"user\"}}}}");
            assertEquals("chat-b", c.only().id);
        }

        @Test
        void lastMessagesWins() {
            Collected c = extract("{\"history\":{\"messages\":{\"a\":{\"role\":\"user\"}},\"currentId\":\"a\",\"messages\":{\"b\":{\"role\":\"user\"}}}}");
            assertEquals("chat-b", c.only().id);
        }

        @Test
        void lastMessageKeyWinsIncludingANonObject() {
            Collected c = extract(messages("\"a\":{\"role\":\"user\",\"content\":1},\"b\":{\"role\":\"x\"},\"a\":{\"role\":\"user\",\"content\":2}"));
            assertEquals("2", c.row("a").json(0));
            assertEquals(2, c.rows.size());
            assertTrue(extract(messages("\"a\":{\"role\":\"user\"},\"a\":3")).rows.isEmpty());
        }

        @Test
        void aLaterValidOccurrenceWithdrawsAnEarlierRejection() {
            Collected c = extract(messages("\"a\":{\"role\":{\"x\":1}},\"a\":{\"role\":\"user\"}"));
            assertEquals("user", c.only().role);
            assertTrue(c.rejected.isEmpty());
        }

        @Test
        void lastRoleInsideAMessageWins() {
            assertEquals("assistant", extract(message("\"role\":\"user\",\"role\":\"assistant\"")).only().role);
            assertTrue(extract(message("\"role\":\"user\",\"role\":\"\"")).rows.isEmpty());
        }

        @Test
        void nestedDuplicateKeysKeepFirstPositionAndLastValue() {
            MessageRow r = extract(message("\"role\":\"user\",\"usage\":{\"a\":1,\"b\":{\"x\":1,\"x\":[2]},\"a\":3}")).only();
            assertEquals("{\"a\":3,\"b\":{\"x\":[2]}}", r.json(Collected.column("usage")));
        }
    }

    @Nested
    class Columns {
        @Test
        void idIsChatIdDashMessageKeyNotMessageId() {
            MessageRow r = extract(messages("\"key-1\":{\"id\":\"other\",\"role\":\"user\"}")).only();
            assertEquals("chat-key-1", r.id);
            assertEquals("chat", r.chatId);
            assertEquals("user", r.userId);
        }

        @Test
        void textColumnsFromStringsNumbersAndBooleans() {
            MessageRow r = extract(message("\"role\":1e20,\"parentId\":12,\"model\":true")).only();
            assertEquals("100000000000000000000", r.role);
            assertEquals("12", r.parentId);
            assertEquals("true", r.modelId);
            MessageRow s = extract(message("\"role\":true,\"parentId\":null,\"model\":1.5")).only();
            assertEquals("true", s.role);
            assertNull(s.parentId);
            assertEquals("1.5", s.modelId);
            assertNull(extract(message("\"role\":\"user\"")).only().modelId);
        }

        @Test
        void missingOrNullJsonColumnsAreTheJsonLiteralNull() {
            MessageRow r = extract(message("\"role\":\"user\",\"content\":null")).only();
            for (int c = 0; c < MessageRow.JSON_COLUMNS.length; c++) assertEquals("null", r.json(c), MessageRow.JSON_COLUMNS[c]);
        }

        @Test
        void jsonColumnsKeepStructureOrderNumbersAndEscapes() {
            MessageRow r = extract(message("\"role\":\"user\",\"content\":\"a\\u0000b \\ud800 \\\"q\\\" \\n é\","
                + "\"files\":[{\"z\":1.50,\"a\":1e2,\"n\":null,\"t\":true}],\"statusHistory\":[],\"output\":{},"
                + "\"sources\":[[]],\"embeds\":-0,\"error\":{\"message\":\"x\"},\"usage\":12345678901234567890123")).only();
            assertEquals("\"a\\u0000b \\ud800 \\\"q\\\" \\n é\"", r.json(0));
            assertEquals("{}", r.json(1));
            assertEquals("[{\"z\":1.50,\"a\":1e2,\"n\":null,\"t\":true}]", r.json(2));
            assertEquals("[[]]", r.json(3));
            assertEquals("-0", r.json(4));
            assertEquals("[]", r.json(5));
            assertEquals("{\"message\":\"x\"}", r.json(6));
            assertEquals("12345678901234567890123", r.json(7));
        }

        @Test
        void doneRules() {
            assertEquals(Boolean.TRUE, extract(message("\"role\":\"u\"")).only().done);
            assertEquals(Boolean.TRUE, extract(message("\"role\":\"u\",\"done\":true")).only().done);
            assertEquals(Boolean.FALSE, extract(message("\"role\":\"u\",\"done\":false")).only().done);
            assertEquals(Boolean.TRUE, extract(message("\"role\":\"u\",\"done\":1")).only().done);
            assertEquals(Boolean.FALSE, extract(message("\"role\":\"u\",\"done\":0")).only().done);
            assertEquals(Boolean.TRUE, extract(message("\"role\":\"u\",\"done\":1.0")).only().done);
            assertEquals(Boolean.FALSE, extract(message("\"role\":\"u\",\"done\":0.0")).only().done);
            assertNull(extract(message("\"role\":\"u\",\"done\":null")).only().done);
        }

        @ParameterizedTest
        @ValueSource(strings = {"\"true\"", "2", "-1", "0.5", "[]", "{}", "[true]"})
        void badDoneIsRejected(String done) {
            Collected c = extract(message("\"role\":\"u\",\"done\":" + done));
            assertTrue(c.rows.isEmpty());
            assertEquals(RejectReason.BAD_DONE, c.rejected.get(0).reason());
            assertTrue(c.rejected.get(0).raw().contains("\"done\":"), "raw message is kept");
        }

        @Test
        void timestampsFollowPythonIntFloat() {
            assertEquals(1_717_000_000L, extract(message("\"role\":\"u\",\"timestamp\":1717000000.9")).only().createdAt);
            assertEquals(1_717_000_000L, extract(message("\"role\":\"u\",\"timestamp\":1717000000999")).only().createdAt);
            assertEquals(1_700_000_000L, extract(message("\"role\":\"u\",\"timestamp\":\" 1.7e9 \"")).only().createdAt);
            assertEquals(1_700_000_000L, extract(message("\"role\":\"u\",\"timestamp\":\"1_700_000_000\"")).only().createdAt);
            for (String t : new String[] {"", ",\"timestamp\":null", ",\"timestamp\":\"abc\"", ",\"timestamp\":\"nan\"",
                ",\"timestamp\":{}", ",\"timestamp\":[1717000000]", ",\"timestamp\":true", ",\"timestamp\":1e400",
                ",\"timestamp\":1000", ",\"timestamp\":4102444800"}) {
                MessageRow r = extract(message("\"role\":\"u\"" + t)).only();
                assertEquals(NOW, r.createdAt, t);
            }
        }
    }

    @Nested
    class Rejections {
        @Test
        void nulInAnyTextColumnOrTheKey() {
            assertEquals(RejectReason.NUL_IN_TEXT, extract(message("\"role\":\"us\\u0000er\"")).rejected.get(0).reason());
            assertEquals(RejectReason.NUL_IN_TEXT, extract(message("\"role\":\"u\",\"parentId\":\"\\u0000\"")).rejected.get(0).reason());
            assertEquals(RejectReason.NUL_IN_TEXT, extract(message("\"role\":\"u\",\"model\":\"a\\u0000\"")).rejected.get(0).reason());
            Collected key = extract(messages("\"k\\u0000\":{\"role\":\"u\"}"));
            assertEquals(RejectReason.NUL_IN_TEXT, key.rejected.get(0).reason());
            assertEquals("k\u0000", key.rejected.get(0).key());
        }

        @Test
        void loneSurrogateInTextButNotInJson() {
            assertEquals(RejectReason.LONE_SURROGATE_IN_TEXT, extract(message("\"role\":\"\\udc00\"")).rejected.get(0).reason());
            assertEquals(RejectReason.LONE_SURROGATE_IN_TEXT, extract(messages("\"\\ud800x\":{\"role\":\"u\"}")).rejected.get(0).reason());
            assertEquals("\"\\ud800\"", extract(message("\"role\":\"u\",\"content\":\"\\ud800\"")).only().json(0));
            assertEquals("😀", extract(message("\"role\":\"\\ud83d\\ude00\"")).only().role);
        }

        @Test
        void objectsAndArraysInTextColumns() {
            assertEquals(RejectReason.OBJECT_IN_TEXT, extract(message("\"role\":{\"a\":1}")).rejected.get(0).reason());
            assertEquals(RejectReason.ARRAY_IN_TEXT, extract(message("\"role\":[1,2]")).rejected.get(0).reason());
            assertEquals(RejectReason.OBJECT_IN_TEXT, extract(message("\"role\":\"u\",\"parentId\":{}")).rejected.get(0).reason());
            assertEquals(RejectReason.ARRAY_IN_TEXT, extract(message("\"role\":\"u\",\"model\":[]")).rejected.get(0).reason());
        }

        @Test
        void numbersPythonWouldTurnIntoInfinity() {
            Collected c = extract(message("\"role\":\"u\",\"usage\":{\"t\":1e400}"));
            assertEquals(RejectReason.NUMBER_OUT_OF_RANGE, c.rejected.get(0).reason());
            assertFalse(extract(message("\"role\":\"u\",\"usage\":{\"t\":1e300}")).rows.isEmpty());
        }

        @Test
        void aBadMessageDoesNotStopTheOthers() {
            Collected c = extract(messages("\"a\":{\"role\":{}},\"b\":{\"role\":[1]},\"c\":{\"role\":\"u\"},\"d\":{\"role\":\"u\",\"done\":\"x\"}"));
            assertEquals(List.of("chat-c"), c.rows.stream().map(r -> r.id).toList());
            assertEquals(2, c.rejected.size());
        }
    }
}
