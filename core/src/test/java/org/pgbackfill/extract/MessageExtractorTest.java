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
            // float()'s whitespace is not str.isspace(): U+001C is not stripped; a bold digit is a digit.
            assertEquals(1_700_000_000L, extract(message("\"role\":\"u\",\"timestamp\":\"\\u00a0\\u000b1700000000\\u2028\"")).only().createdAt);
            assertEquals(1_700_000_000L, extract(message("\"role\":\"u\",\"timestamp\":\"\\ud835\\udfcf7\\ud835\\udfce0000000\"")).only().createdAt);
            assertEquals(NOW, extract(message("\"role\":\"u\",\"timestamp\":\"\\u001c1700000000\\u001c\"")).only().createdAt);
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

    /** SPEC.md 6.1: where Jackson and Python's json.loads disagree, Python is the contract. Each case was checked with python3 3.11. */
    @Nested
    class PythonGrammar {
        private String quoted(String inner) {
            return org.pgbackfill.testing.ExactJson.quote(inner);
        }

        private RejectReason chatRejection(String doc) {
            Collected c = extract(doc);
            assertTrue(c.rows.isEmpty() && c.rejected.isEmpty(), "no rows nor message rejections for " + doc);
            assertEquals(1, c.rejectedChats.size(), doc);
            return c.rejectedChats.get(0).reason();
        }

        @ParameterizedTest
        @ValueSource(strings = {"{\u0000\u0000\u0000x", "\u0000\u0000\u0000{", "{\u0000\"\u0000h", "\u0000{\u0000\"", "\ufeff{}", "\ufffe{}"})
        void doubleEncodedTextThatLooksLikeUtf16Or32IsCharacters(String inner) {
            // json.loads(str) guesses no encoding: NULs are characters, invalid here; a BOM is refused.
            assertEquals(RejectReason.INVALID_JSON, chatRejection(quoted(inner)));
        }

        @Test
        void topLevelBytesAreUtf8Only() {
            // Jackson's bootstrapper would read the first as UTF-32, skip the BOM of the second and
            // take the trailing NUL of the third as padding; Python refuses all three.
            for (String doc : new String[] {"{\u0000\u0000\u0000}\u0000\u0000\u0000", "\ufeff" + message("\"role\":\"u\""),
                message("\"role\":\"u\"") + "\u0000"}) {
                assertEquals(RejectReason.INVALID_JSON, chatRejection(doc), doc);
            }
        }

        @Test
        void doubleEncodedLoneSurrogatesStayIntact() {
            // The inner text holds raw lone surrogates (the outer escapes decode to them), as Python's str would.
            String inner = messages("\"k\ud800\":{\"role\":\"user\"},\"m\":{\"role\":\"user\",\"content\":\"a\udc00b\"},"
                + "\"r\":{\"role\":\"\udbff\"}");
            Collected c = extract(quoted(inner));
            assertEquals("\"a\\udc00b\"", c.row("m").json(0));
            assertEquals(List.of("k\ud800:LONE_SURROGATE_IN_TEXT", "r:LONE_SURROGATE_IN_TEXT"),
                c.rejected.stream().map(r -> r.key() + ":" + r.reason()).sorted().toList());
        }

        @ParameterizedTest
        @ValueSource(strings = {"+Infinity", "-INF", "+INF", "INF", "-NaN", "inf", "nan"})
        void onlyPythonsThreeNonStandardLiteralsAnywhere(String literal) {
            // In a value the extractor reads, and in one it skips (the top-level messages copy).
            assertEquals(RejectReason.INVALID_JSON, chatRejection(quoted(message("\"role\":\"u\",\"usage\":" + literal))));
            assertEquals(RejectReason.INVALID_JSON, chatRejection(quoted(
                "{\"messages\":[" + literal + "]," + message("\"role\":\"u\"").substring(1))));
            assertEquals(RejectReason.INVALID_JSON, chatRejection(message("\"role\":\"u\",\"x\":" + literal)));
        }

        @Test
        void pythonsOwnLiteralsAreRead() {
            for (String literal : new String[] {"NaN", "Infinity", "-Infinity"}) {
                Collected c = extract(quoted("{\"messages\":[" + literal + "]," + message("\"role\":\"u\"").substring(1)));
                assertEquals("chat-m", c.only().id, literal);
            }
        }

        @Test
        void integersOfMoreThan4300DigitsAbortUpstreamAtTopLevelAndSkipTheChatWhenDoubleEncoded() {
            String ok = "9".repeat(4300), tooLong = "9".repeat(4301);
            assertEquals(ok, extract(message("\"role\":\"u\",\"usage\":-" + ok)).only().json(7).substring(1));
            assertEquals(RejectReason.INTEGER_TOO_LONG, chatRejection(message("\"role\":\"u\",\"usage\":" + tooLong)));
            assertEquals(RejectReason.INTEGER_TOO_LONG, chatRejection(message("\"role\":\"u\",\"usage\":-" + tooLong)));
            // Anywhere in the document, even where nothing is read, and whatever else the document holds.
            assertEquals(RejectReason.INTEGER_TOO_LONG, chatRejection("{\"messages\":[" + tooLong + "]," + message("\"role\":\"u\"").substring(1)));
            assertEquals(RejectReason.INVALID_JSON, chatRejection(quoted(message("\"role\":\"u\",\"usage\":" + tooLong))));
            // A float literal has no such limit (Python reads it as a float).
            assertEquals(1, extract(message("\"role\":\"u\",\"x\":" + tooLong + ".5")).rows.size());
        }

        /** A document nested {@code depth} containers deep: the message, then {@code extra} levels in its usage. */
        private String nested(int depth) {
            int extra = depth - 4;   // the document, history, messages and the message are 4 levels
            return message("\"role\":\"u\",\"usage\":" + "[".repeat(extra) + "]".repeat(extra));
        }

        @Test
        void nestingDeeperThanPythonReadsAbortsUpstreamAtTopLevelAndSkipsTheChatWhenDoubleEncoded() {
            assertEquals(1, extract(nested(PythonJson.MAX_WRITE_NESTING + 4)).rows.size());
            assertEquals(RejectReason.NESTING_TOO_DEEP, chatRejection(nested(PythonJson.MAX_NESTING + 1)));
            assertEquals(RejectReason.INVALID_JSON, chatRejection(quoted(nested(PythonJson.MAX_NESTING + 1))));
            int skipped = PythonJson.MAX_NESTING;   // in the top-level messages copy: 1 + 985 levels
            assertEquals(RejectReason.NESTING_TOO_DEEP, chatRejection(
                "{\"messages\":" + "[".repeat(skipped) + "]".repeat(skipped) + "," + message("\"role\":\"u\"").substring(1)));
            assertEquals(RejectReason.NESTING_TOO_DEEP, chatRejection("[".repeat(2000) + "]".repeat(2000)));
        }

        @Test
        void aValueReadableButTooDeepToWriteBackRejectsItsMessage() {
            for (String doc : new String[] {nested(PythonJson.MAX_NESTING), quoted(nested(PythonJson.MAX_NESTING))}) {
                Collected c = extract(doc);
                assertTrue(c.rows.isEmpty() && c.rejectedChats.isEmpty());
                assertEquals(RejectReason.JSON_TOO_DEEP, c.rejected.get(0).reason());
            }
        }

        @Test
        void anOverwrittenValueIsNeverJudged() {
            // json.loads keeps the last value of a repeated key before anything looks at it.
            assertEquals("{\"d\":1}", extract(message("\"role\":\"u\",\"usage\":{\"d\":1e400,\"d\":1}")).only().json(7));
            assertEquals("1", extract(message("\"role\":\"u\",\"content\":1e400,\"content\":1")).only().json(0));
            assertEquals("{\"d\":1}", extract(quoted(message("\"role\":\"u\",\"usage\":{\"d\":NaN,\"d\":1}"))).only().json(7));
            int deep = PythonJson.MAX_WRITE_NESTING - 1;   // files' first value is 981 deep: too deep to write
            assertEquals("[{\"d\":1}]", extract(message("\"role\":\"u\",\"files\":[{\"d\":" + "[".repeat(deep) + "]".repeat(deep)
                + ",\"d\":1}]")).only().json(2));
            MessageRow r = extract(message("\"role\":{\"a\":1},\"role\":\"u\",\"parentId\":\"\\u0000\",\"parentId\":\"p\","
                + "\"model\":\"\\ud800\",\"model\":\"m\",\"done\":\"x\",\"done\":false")).only();
            assertEquals(List.of("u", "p", "m", "false"), List.of(r.role, r.parentId, r.modelId, String.valueOf(r.done)));
            // The judgement is on the value that stays: the last one.
            assertEquals(RejectReason.NUMBER_OUT_OF_RANGE,
                extract(message("\"role\":\"u\",\"usage\":{\"d\":1,\"d\":1e400}")).rejected.get(0).reason());
        }

        @ParameterizedTest
        @ValueSource(strings = {"01", "-", "1.", ".5", "+1", "1e", "[1,]", "{\"a\":1,}", "\"\\x\"", "\"\\u12\"", "\"a\u0001\"",
            "\f1", "\u000b1", "1\u00a0", "[1\u2028]"})
        void whatPythonRefusesJacksonRefusesToo(String value) {
            assertEquals(RejectReason.INVALID_JSON, chatRejection(quoted(message("\"role\":\"u\",\"x\":" + value))));
        }
    }
}
