package org.pgbackfill.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

/** The reference checked against hand-computed results, so that it can be trusted as an oracle. */
class ReferenceExtractorTest {
    private static final long NOW = 1_750_000_000L;

    private static ReferenceExtractor.Result extract(String doc) {
        return ReferenceExtractor.extract("c1", "u1", doc, NOW);
    }

    private static ExpectedRow only(String doc) {
        ReferenceExtractor.Result r = extract(doc);
        assertEquals(List.of(), r.messageRejections(), "rejections");
        assertEquals(1, r.rows().size(), "rows");
        return r.rows().get(0);
    }

    private static JsonNode json(String singleQuoted) throws Exception {
        return ExactJson.parse(EdgeCaseCorpus.j(singleQuoted));
    }

    private static void assertJson(String expectedSingleQuoted, JsonNode actual) throws Exception {
        assertNull(ExactJson.firstDifference(json(expectedSingleQuoted), actual));
    }

    @Test
    void realisticDocumentGivesOneRowPerHistoryMessage() throws Exception {
        String doc = EdgeCaseCorpus.j("{'history':{'currentId':'b2','messages':{"
            + "'u1':{'id':'u1','parentId':null,'childrenIds':['b2'],'role':'user','content':'Hi','timestamp':1717000000,"
            + "'files':[{'n':'r.pdf'}]},"
            + "'b2':{'id':'b2','parentId':'u1','role':'assistant','content':'Hello','model':'gpt-4o','timestamp':1717000003,"
            + "'done':true,'statusHistory':[{'a':1}],'sources':[],'usage':{'prompt_tokens':3512,'completion_tokens':412}}}},"
            + "'messages':[{'id':'zz','role':'user'}]}");
        List<ExpectedRow> rows = extract(doc).rows();
        NullNode n = NullNode.getInstance();
        assertEquals(List.of(
            new ExpectedRow("c1-u1", "c1", "u1", "user", null, json("'Hi'"), n, null, json("[{'n':'r.pdf'}]"), n, n,
                true, n, n, n, 1717000000L, 1717000000L),
            new ExpectedRow("c1-b2", "c1", "u1", "assistant", "u1", json("'Hello'"), n, "gpt-4o", n, json("[]"), n,
                true, json("[{'a':1}]"), n, json("{'prompt_tokens':3512,'completion_tokens':412}"), 1717000003L, 1717000003L)),
            rows);
    }

    @Test
    void falsyDocumentsYieldNothingAndBadOnesRejectTheChat() {
        for (String falsy : new String[] {null, "null", "false", "0", "0.0", "-0", "\"\"", "{}", "[]", "1e-400"}) {
            assertEquals(new ReferenceExtractor.Result(List.of(), List.of(), Optional.empty()), extract(falsy), falsy);
        }
        Map<String, ExpectedReason> bad = Map.of(
            "[1]", ExpectedReason.NOT_AN_OBJECT, "7", ExpectedReason.NOT_AN_OBJECT, "true", ExpectedReason.NOT_AN_OBJECT,
            "\"{x\"", ExpectedReason.INVALID_JSON, "\" \"", ExpectedReason.INVALID_JSON,
            "\"null\"", ExpectedReason.NOT_AN_OBJECT, "\"[]\"", ExpectedReason.NOT_AN_OBJECT,
            "\"\\\"s\\\"\"", ExpectedReason.NOT_AN_OBJECT);
        bad.forEach((doc, reason) -> assertEquals(Optional.of(reason), extract(doc).chatRejection(), doc));
        assertEquals(Optional.empty(), extract("\"{}\"").chatRejection());
    }

    @Test
    void doubleEncodedDocumentIsReadLikeThePlainOne() {
        String plain = EdgeCaseCorpus.j("{'history':{'messages':{'m':{'role':'user','content':[1.0,'\\u0000'],'timestamp':'1_700_000_000'}}}}");
        assertEquals(extract(plain), extract(ExactJson.quote(plain)));
        assertEquals(1_700_000_000L, only(plain).createdAt());
    }

    @Test
    void duplicateKeysLastValueFirstPosition() throws Exception {
        String doc = EdgeCaseCorpus.j("{'history':{'messages':{'x':{'role':'user'}}},'history':{'messages':{"
            + "'a':{'role':'user','content':1},'b':{'role':'assistant'},'a':{'role':'','content':2},"
            + "'c':{'role':'user','role':'system','usage':{'k':1,'j':2,'k':3}}}}}");
        List<ExpectedRow> rows = extract(doc).rows();
        assertEquals(List.of("c1-b", "c1-c"), rows.stream().map(ExpectedRow::id).toList());
        assertEquals("system", rows.get(1).role());
        assertJson("{'k':3,'j':2}", rows.get(1).usage());
    }

    @Test
    void textColumnsTakeThePostgresTextOfWhatPsycopg2Sends() {
        Map<String, String> roleText = Map.ofEntries(
            Map.entry("'user'", "user"), Map.entry("7", "7"), Map.entry("-5", "-5"), Map.entry("1.5", "1.5"),
            Map.entry("1e20", "100000000000000000000"), Map.entry("1e-7", "0.0000001"), Map.entry("100.0", "100.0"),
            Map.entry("1E2", "100.0"), Map.entry("1.10", "1.1"), Map.entry("1e16", "10000000000000000"),
            Map.entry("1e15", "1000000000000000.0"), Map.entry("true", "true"), Map.entry("1e400", "Infinity"),
            Map.entry("-1e400", "-Infinity"), Map.entry("'0'", "0"));
        roleText.forEach((json, text) ->
            assertEquals(text, only(EdgeCaseCorpus.j("{'history':{'messages':{'m':{'role':" + json + "}}}}")).role(), json));
        ExpectedRow r = only(EdgeCaseCorpus.j("{'history':{'messages':{'m':{'role':'u','parentId':-0.0,'model':false}}}}"));
        assertEquals("0.0", r.parentId());
        assertEquals("false", r.modelId());
        for (String falsyRole : new String[] {"null", "false", "0", "0.0", "''", "[]", "{}", "1e-400"}) {
            assertEquals(extract("{}"), extract(EdgeCaseCorpus.j("{'history':{'messages':{'m':{'role':" + falsyRole + "}}}}")), falsyRole);
        }
    }

    @Test
    void rejectionsCarryKeyReasonAndRawMessage() throws Exception {
        Map<String, ExpectedReason> cases = Map.of(
            "'k\\u0000':{'role':'user'}", ExpectedReason.NUL_IN_TEXT,
            "'k':{'role':'a\\u0000'}", ExpectedReason.NUL_IN_TEXT,
            "'k':{'role':'user','parentId':'\\ud800'}", ExpectedReason.LONE_SURROGATE_IN_TEXT,
            "'k':{'role':{'a':1}}", ExpectedReason.OBJECT_IN_TEXT,
            "'k':{'role':'user','model':[]}", ExpectedReason.ARRAY_IN_TEXT,
            "'k':{'role':'user','done':'true'}", ExpectedReason.BAD_DONE,
            "'k':{'role':'user','done':2}", ExpectedReason.BAD_DONE,
            "'k':{'role':'user','usage':{'t':1e400}}", ExpectedReason.NUMBER_OUT_OF_RANGE);
        for (Map.Entry<String, ExpectedReason> c : cases.entrySet()) {
            ReferenceExtractor.Result r = extract(EdgeCaseCorpus.j("{'history':{'messages':{" + c.getKey() + "}}}"));
            assertEquals(List.of(), r.rows(), c.getKey());
            assertEquals(1, r.messageRejections().size(), c.getKey());
            ExpectedMessageRejection rej = r.messageRejections().get(0);
            assertEquals(c.getValue(), rej.reason(), c.getKey());
            assertEquals("c1", rej.chatId());
            assertTrue(rej.messageKey().startsWith("k"));
            assertTrue(rej.message().isObject());
        }
    }

    /** SPEC.md 6.1, each case checked with python3 3.11 (json.loads("1" * 4301) raises ValueError, etc.). */
    @Test
    void pythonsReadingLimits() {
        String msg = "{'history':{'messages':{'m':{'role':'u','usage':%s}}}}";
        String tooLong = "1".repeat(4301);
        assertEquals(1, extract(EdgeCaseCorpus.j(String.format(msg, "-" + "1".repeat(4300)))).rows().size());
        assertEquals(Optional.of(ExpectedReason.INTEGER_TOO_LONG), extract(EdgeCaseCorpus.j(String.format(msg, tooLong))).chatRejection());
        assertEquals(Optional.of(ExpectedReason.INTEGER_TOO_LONG),
            extract(EdgeCaseCorpus.j(String.format(msg, "{'n':" + tooLong + ",'n':1}"))).chatRejection(), "overwritten still parsed");
        assertEquals(Optional.of(ExpectedReason.INVALID_JSON),
            extract(ExactJson.quote(EdgeCaseCorpus.j(String.format(msg, tooLong)))).chatRejection());
        String deep981 = "[".repeat(981) + "]".repeat(981), deep982 = "[".repeat(982) + "]".repeat(982);
        assertEquals(List.of(ExpectedReason.JSON_TOO_DEEP),
            extract(EdgeCaseCorpus.j(String.format(msg, deep981))).messageRejections().stream().map(ExpectedMessageRejection::reason).toList());
        assertEquals(1, extract(EdgeCaseCorpus.j(String.format(msg, "[" + deep981.substring(2, deep981.length() - 2) + "]"))).rows().size());
        assertEquals(Optional.of(ExpectedReason.NESTING_TOO_DEEP), extract(EdgeCaseCorpus.j(String.format(msg, deep982))).chatRejection());
        assertEquals(Optional.of(ExpectedReason.INVALID_JSON), extract(ExactJson.quote(EdgeCaseCorpus.j(String.format(msg, deep982)))).chatRejection());
        assertEquals(Optional.of(ExpectedReason.NESTING_TOO_DEEP), extract("[".repeat(2000) + "]".repeat(2000)).chatRejection());
        assertEquals(Optional.of(ExpectedReason.INVALID_JSON), extract(ExactJson.quote("{\u0000\u0000\u0000x")).chatRejection());
        assertEquals(Optional.of(ExpectedReason.INVALID_JSON),
            extract(ExactJson.quote(EdgeCaseCorpus.j("{'messages':[+Infinity],'history':{}}"))).chatRejection());
        // Overwritten values are never judged; the one that stays is.
        assertEquals(1, extract(EdgeCaseCorpus.j(String.format(msg, "{'d':1e400,'d':1}"))).rows().size());
        assertEquals(List.of(ExpectedReason.NUMBER_OUT_OF_RANGE), extract(EdgeCaseCorpus.j(String.format(msg, "{'d':1,'d':1e400}")))
            .messageRejections().stream().map(ExpectedMessageRejection::reason).toList());
    }

    @Test
    void doneMapping() {
        Map<String, Boolean> done = new java.util.HashMap<>(Map.of("true", true, "false", false, "1", true, "0", false,
            "1.0", true, "0.0", false, "-0.0", false, "1.0000000000000001", true));
        done.put("null", null);
        done.forEach((json, value) -> assertEquals(value,
            only(EdgeCaseCorpus.j("{'history':{'messages':{'m':{'role':'u','done':" + json + "}}}}")).done(), json));
        assertEquals(Boolean.TRUE, only(EdgeCaseCorpus.j("{'history':{'messages':{'m':{'role':'u'}}}}")).done());
    }

    @Test
    void timestampNormalisation() {
        long upper = NOW + 86_400;
        Map<String, Long> ts = Map.ofEntries(
            Map.entry("1700000000", 1_700_000_000L), Map.entry("1700000000.9", 1_700_000_000L),
            Map.entry("1717000000123", 1_717_000_000L), Map.entry("'1700000000'", 1_700_000_000L),
            Map.entry("' 1.7e9 '", 1_700_000_000L), Map.entry("'1_700_000_000'", 1_700_000_000L),
            Map.entry("'1__7'", NOW), Map.entry("'_17'", NOW), Map.entry("'abc'", NOW), Map.entry("'nan'", NOW),
            Map.entry("'inf'", NOW), Map.entry("true", NOW), Map.entry("null", NOW), Map.entry("{}", NOW),
            Map.entry("1577836799", NOW), Map.entry("1577836800", 1_577_836_800L), Map.entry(Long.toString(upper), upper),
            Map.entry(Long.toString(upper + 1), NOW), Map.entry("1e400", NOW), Map.entry("1699999999.99999999", 1_700_000_000L));
        ts.forEach((json, value) -> assertEquals(value,
            only(EdgeCaseCorpus.j("{'history':{'messages':{'m':{'role':'u','timestamp':" + json + "}}}}")).createdAt(), json));
        // With "now" late enough, the millisecond threshold itself becomes visible: exactly 10^10 is
        // seconds (kept), one more is milliseconds (1970, replaced by now).
        long lateNow = 9_999_999_999L;
        assertEquals(10_000_000_000L, ReferenceExtractor.timestamp(new com.fasterxml.jackson.databind.node.LongNode(10_000_000_000L), lateNow));
        assertEquals(lateNow, ReferenceExtractor.timestamp(new com.fasterxml.jackson.databind.node.LongNode(10_000_000_001L), lateNow));
        assertEquals(NOW, ReferenceExtractor.timestamp(null, NOW));
    }

    @Test
    void jsonColumnsKeepValuesAndMissingIsJsonNull() throws Exception {
        ExpectedRow r = only(EdgeCaseCorpus.j("{'history':{'messages':{'m':{'role':'u','content':'a\\u0000\\ud800b',"
            + "'output':{'z':1,'a':1.50},'error':null}}}}"));
        assertEquals("a\u0000\ud800b", r.content().textValue());
        assertJson("{'z':1,'a':1.50}", r.output());
        assertTrue(ExactJson.firstDifference(json("{'a':1.50,'z':1}"), r.output()) != null, "key order matters");
        assertTrue(ExactJson.firstDifference(json("{'z':1,'a':1.5}"), r.output()) != null, "1.5 is not the literal 1.50");
        for (JsonNode n : new JsonNode[] {r.files(), r.sources(), r.embeds(), r.statusHistory(), r.error(), r.usage()}) {
            assertEquals(NullNode.getInstance(), n);
        }
    }

    @Test
    void pythonFloatParsing() {
        Map<String, Double> ok = Map.of(" 1.7e9 ", 1.7e9, "1_700", 1700.0, "+.5", 0.5, "5.", 5.0, "\u00a012\u3000", 12.0,
            "\u0661\u0662", 12.0, "-iNfInItY", Double.NEGATIVE_INFINITY, "1e400", Double.POSITIVE_INFINITY, "1e1_0", 1e10);
        ok.forEach((s, d) -> assertEquals(OptionalDouble.of(d), PythonFloat.parse(s), s));
        assertTrue(Double.isNaN(PythonFloat.parse("-nan").getAsDouble()));
        // Checked with python3 3.11: float()'s whitespace is not str.isspace(), and digits outside the BMP count.
        Map<String, Double> python = Map.of("\u000b1\u000c", 1.0, "\u00851", 1.0, "\u20281", 1.0,
            "\ud835\udfcf\ud835\udfd0", 12.0, "\ud81a\udec1", 1.0, "1_\ud835\udfce", 10.0, "\u0661.\u0665e\u0662", 150.0);
        python.forEach((s, d) -> assertEquals(OptionalDouble.of(d), PythonFloat.parse(s), s));
        for (String bad : new String[] {"\u001c1\u001c", "\u001f1", "1\u001e", "\u180e1", "1\u200b", "1\ud800"}) {
            assertEquals(OptionalDouble.empty(), PythonFloat.parse(bad), bad);
        }
        for (String bad : new String[] {"", " ", "1__0", "_1", "1_", "1_.5", "1._5", "0x10", "1e", ".", "1 2", "infi", "\u001c1", "1d"}) {
            assertEquals(OptionalDouble.empty(), PythonFloat.parse(bad), bad);
        }
    }

    /** Each expectation was obtained from Python's repr() fed to PostgreSQL 15 ({@code SELECT (repr)::text}). */
    @Test
    void postgresTextOfPythonRepr() {
        Map<Double, String> text = Map.ofEntries(
            Map.entry(1.5, "1.5"), Map.entry(1.0, "1.0"), Map.entry(1e20, "100000000000000000000"),
            Map.entry(1e-7, "0.0000001"), Map.entry(100.0, "100.0"), Map.entry(1e16, "10000000000000000"),
            Map.entry(1e15, "1000000000000000.0"), Map.entry(1.5e16, "15000000000000000"), Map.entry(0.0001, "0.0001"),
            Map.entry(1e-5, "0.00001"), Map.entry(0.1 + 0.2, "0.30000000000000004"), Map.entry(-2.5e-8, "-0.000000025"),
            Map.entry(-0.0, "0.0"), Map.entry(123456789.123456789, "123456789.12345679"),
            Map.entry(1.7976931348623157e308, "17976931348623157" + "0".repeat(292)),
            Map.entry(Double.POSITIVE_INFINITY, "Infinity"), Map.entry(Double.NaN, "NaN"),
            // repr() gives these subnormals one digit ("5e-324"); PostgreSQL 15 prints "0." and 324 decimals.
            Map.entry(Double.MIN_VALUE, "0." + "0".repeat(323) + "5"), Map.entry(1e-322, "0." + "0".repeat(321) + "1"),
            Map.entry(9e-323, "0." + "0".repeat(322) + "9"), Map.entry(1.5e-323, "0." + "0".repeat(322) + "15"));
        text.forEach((d, s) -> assertEquals(s, PythonFloat.postgresTextOfRepr(d), String.valueOf(d)));
    }

    @Test
    void backfillAppliesThePredicateAndFirstChatWinsAnId() {
        String ab = EdgeCaseCorpus.j("{'history':{'messages':{'b-c':{'role':'user','content':'from a'}}}}");
        String c = EdgeCaseCorpus.j("{'history':{'messages':{'c':{'role':'user','content':'from a-b'}}}}");
        ReferenceBackfill.Expectation e = ReferenceBackfill.run(List.of(
            new Fixture("a", "a", "u", ab), new Fixture("a-b", "a-b", "u", c),
            new Fixture("shared", "s", "shared-1", c), new Fixture("null user", "n", null, c),
            new Fixture("Shared", "S", "Shared-1", c)), NOW);
        assertEquals(List.of("a", "a-b", "S"), e.chatIdsRead());
        assertEquals(List.of("a-b-c", "S-c"), List.copyOf(e.rows().keySet()));
        assertEquals("\"from a\"", e.rows().get("a-b-c").content().toString());
        assertEquals(1, e.messageRejections().size());
        ExpectedMessageRejection dup = e.messageRejections().get(0);
        assertEquals(List.of("a-b", "c", ExpectedReason.DUPLICATE_ID), List.of(dup.chatId(), dup.messageKey(), dup.reason()));
        assertEquals("from a-b", dup.message().get("content").textValue());
    }
}
