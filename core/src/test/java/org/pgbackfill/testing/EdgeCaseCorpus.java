package org.pgbackfill.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Chats exercising every rule of SPEC.md sections 2, 3 and 6, and the corners around them, each
 * with a hand-computed expectation (not derived from {@link ReferenceExtractor}, so the corpus also
 * checks the reference). Every document is valid input for PostgreSQL's {@code json} type.
 *
 * <p>Expectation notation, space-separated {@code key=value} (values contain no spaces):
 * <ul>
 *   <li>{@code rows=N} rows this chat contributes to {@code chat_message};
 *   <li>{@code reject=R1,R2} its message rejections, in message order; {@code chat=R} its chat rejection;
 *   <li>{@code read=no} the {@code user_id} predicate skips it;
 *   <li>for its first row: {@code key}, {@code id}, {@code role}, {@code parent}, {@code model} (text,
 *       {@code NULL} = SQL NULL), {@code done} ({@code true}/{@code false}/{@code NULL}), {@code ts}
 *       (a number or {@code now}), and JSON columns {@code content}, {@code output}, {@code files},
 *       {@code sources}, {@code embeds}, {@code status}, {@code error}, {@code usage} as compact JSON.
 * </ul>
 * Documents below are written with {@code '} for {@code "} (see {@link #j}); {@code \\u0027} is a quote.
 */
public final class EdgeCaseCorpus {
    /** A fixed "now" (2025-06-15T15:06:40Z) for reproducible runs. */
    public static final long DEFAULT_NOW = 1_750_000_000L;

    /** A fixture and its hand-computed expectation. */
    public record Case(Fixture fixture, String expected) {
    }

    private final long now;
    private final List<Case> cases = new ArrayList<>();
    private int counter;

    private EdgeCaseCorpus(long now) {
        this.now = now;
    }

    public static List<Fixture> fixtures(long now) {
        return cases(now).stream().map(Case::fixture).toList();
    }

    /** Inserts every fixture into {@code conn}'s {@code chat} table (which must exist). */
    public static void load(Connection conn, long now) throws SQLException {
        OpenWebUiDatabase.insertChats(conn, fixtures(now));
    }

    public static List<Case> cases(long now) {
        EdgeCaseCorpus c = new EdgeCaseCorpus(now);
        c.documents();
        c.doubleEncoded();
        c.historyShapes();
        c.duplicateKeys();
        c.roles();
        c.parentAndModel();
        c.done();
        c.timestamps();
        c.jsonColumns();
        c.messageKeys();
        c.chatIds();
        c.userIds();
        c.realistic();
        c.pythonGrammar();
        return List.copyOf(c.cases);
    }

    // ---- section 2.2 / 2.5: the document itself ----------------------------------------------

    private void documents() {
        add("doc: SQL NULL", null, "rows=0");
        add("doc: JSON null", "null", "rows=0");
        add("doc: false", "false", "rows=0");
        add("doc: 0", "0", "rows=0");
        add("doc: 0.0", "0.0", "rows=0");
        add("doc: -0", "-0", "rows=0");
        add("doc: -0.0", "-0.0", "rows=0");
        add("doc: 0e10", "0e10", "rows=0");
        // Python reads 1e-400 as the float 0.0: falsy, so nothing (not a rejection).
        add("doc: 1e-400 underflows to 0.0", "1e-400", "rows=0");
        add("doc: empty string", "\"\"", "rows=0");
        add("doc: {}", "{}", "rows=0");
        add("doc: []", "[]", "rows=0");
        add("doc: {} padded with whitespace", " \n {  } \t", "rows=0");
        add("doc: array", "[1]", "chat=NOT_AN_OBJECT");
        add("doc: array holding a valid document", "[" + user("") + "]", "chat=NOT_AN_OBJECT");
        add("doc: number 7", "7", "chat=NOT_AN_OBJECT");
        add("doc: number 0.5", "0.5", "chat=NOT_AN_OBJECT");
        add("doc: number -1", "-1", "chat=NOT_AN_OBJECT");
        add("doc: 1e400 (Python inf, truthy)", "1e400", "chat=NOT_AN_OBJECT");
        add("doc: true", "true", "chat=NOT_AN_OBJECT");
        add("doc: valid, whitespace around", "\n\t " + user("") + " \r\n", "rows=1 role=user");
    }

    // ---- section 2.3: double-encoded documents ------------------------------------------------

    private void doubleEncoded() {
        add("double: valid", ExactJson.quote(user("'timestamp':1700000000")), "rows=1 role=user ts=1700000000");
        add("double: valid, whitespace inside the string", ExactJson.quote("  " + user("") + "\n"), "rows=1");
        add("double: invalid inner", ExactJson.quote("{not json"), "chat=INVALID_JSON");
        add("double: truncated inner", ExactJson.quote("{\"history\":{\"messages\":{"), "chat=INVALID_JSON");
        add("double: inner only whitespace", ExactJson.quote(" "), "chat=INVALID_JSON");
        add("double: inner trailing garbage", ExactJson.quote("{} x"), "chat=INVALID_JSON");
        add("double: inner single quotes", ExactJson.quote("{'a':1}"), "chat=INVALID_JSON");
        add("double: inner raw newline in a string", ExactJson.quote("{\"a\":\"x\ny\"}"), "chat=INVALID_JSON");
        add("double: inner BOM", ExactJson.quote("\ufeff" + user("")), "chat=INVALID_JSON");
        add("double: inner array", ExactJson.quote("[1,2]"), "chat=NOT_AN_OBJECT");
        add("double: inner empty array", ExactJson.quote("[]"), "chat=NOT_AN_OBJECT");
        add("double: inner string (triple-encoded)", ExactJson.quote(ExactJson.quote(user(""))), "chat=NOT_AN_OBJECT");
        add("double: inner empty string", ExactJson.quote("\"\""), "chat=NOT_AN_OBJECT");
        add("double: inner null", ExactJson.quote("null"), "chat=NOT_AN_OBJECT");
        add("double: inner false", ExactJson.quote("false"), "chat=NOT_AN_OBJECT");
        add("double: inner 0", ExactJson.quote("0"), "chat=NOT_AN_OBJECT");
        add("double: inner true", ExactJson.quote("true"), "chat=NOT_AN_OBJECT");
        add("double: inner {}", ExactJson.quote("{}"), "rows=0");
        add("double: inner duplicate history, last wins",
            ExactJson.quote(j("{'history':{'messages':{'a':{'role':'user'}}},'history':{'messages':{'b':{'role':'assistant'}}}}")),
            "rows=1 key=b role=assistant");
        // Python's json.loads accepts NaN, Infinity and -Infinity (PostgreSQL's json type does not,
        // so they can only arrive inside a double-encoded document).
        add("double (Python literals): NaN timestamp", ExactJson.quote(user("'timestamp':NaN")), "rows=1 ts=now");
        add("double (Python literals): Infinity in usage", ExactJson.quote(user("'usage':{'t':Infinity}")),
            "rows=0 reject=NUMBER_OUT_OF_RANGE");
        add("double (Python literals): NaN role", ExactJson.quote(one("'role':NaN")), "rows=1 role=NaN");
        add("double (Python literals): -Infinity parentId", ExactJson.quote(user("'parentId':-Infinity")),
            "rows=1 parent=-Infinity");
        add("double (Python literals): NaN done", ExactJson.quote(user("'done':NaN")), "rows=0 reject=BAD_DONE");
        add("double: +Infinity is not Python JSON", ExactJson.quote(user("'timestamp':+Infinity")), "chat=INVALID_JSON");
        add("double: -INF is not Python JSON", ExactJson.quote(user("'timestamp':-INF")), "chat=INVALID_JSON");
    }

    // ---- section 2.4: history / messages shapes -----------------------------------------------

    private void historyShapes() {
        add("history: missing, top-level messages ignored",
            j("{'title':'t','messages':[{'id':'m','role':'user','content':'hi'}]}"), "rows=0");
        add("history: null", j("{'history':null}"), "rows=0");
        add("history: array", j("{'history':[{'messages':{'m':{'role':'user'}}}]}"), "rows=0");
        add("history: string", j("{'history':'x'}"), "rows=0");
        add("history: number", j("{'history':1}"), "rows=0");
        add("history: {}", j("{'history':{}}"), "rows=0");
        add("messages: missing", j("{'history':{'currentId':'m'}}"), "rows=0");
        add("messages: array", j("{'history':{'messages':[{'id':'m','role':'user'}]}}"), "rows=0");
        add("messages: null", j("{'history':{'messages':null}}"), "rows=0");
        add("messages: string", j("{'history':{'messages':'m'}}"), "rows=0");
        add("messages: {}", j("{'history':{'messages':{}}}"), "rows=0");
        add("messages: top-level messages array differs and is ignored",
            j("{'messages':[{'id':'x','role':'user'},{'id':'y','role':'assistant'}],"
                + "'history':{'messages':{'m':{'id':'m','role':'user'}}}}"), "rows=1 key=m");
        add("messages: non-object values skipped",
            j("{'history':{'messages':{'s':'user','n':42,'z':null,'a':[{'role':'user'}],'t':true,'f':false,"
                + "'ok':{'role':'user'}}}}"), "rows=1 key=ok");
        add("messages: falsy roles skipped, one good",
            j("{'history':{'messages':{'a':{},'b':{'role':null},'c':{'content':'no role'},'d':{'role':'assistant'}}}}"),
            "rows=1 key=d role=assistant");
    }

    // ---- section 2.7: duplicate keys, last wins ------------------------------------------------

    private void duplicateKeys() {
        add("dup history: first valid, last null",
            j("{'history':{'messages':{'m':{'role':'user'}}},'history':null}"), "rows=0");
        add("dup history: first array, last valid",
            j("{'history':[1],'history':{'messages':{'m':{'role':'user'}}}}"), "rows=1 key=m");
        add("dup messages: last wins", j("{'history':{'messages':{'a':{'role':'user'}},'messages':{'b':{'role':'user'}}}}"),
            "rows=1 key=b");
        add("dup messages: first valid, last array",
            j("{'history':{'messages':{'a':{'role':'user'}},'messages':[]}}"), "rows=0");
        add("dup message key: last wins",
            msgs("'m':{'role':'user','content':'first'},'m':{'role':'assistant','content':'second'}"),
            "rows=1 key=m role=assistant content='second'");
        add("dup message key: last is a string", msgs("'m':{'role':'user'},'m':'gone'"), "rows=0");
        add("dup message key: last has a falsy role", msgs("'m':{'role':'user'},'m':{'role':''}"), "rows=0");
        add("dup message key: first bad, last good", msgs("'m':{'role':{'a':1}},'m':{'role':'user'}"), "rows=1 role=user");
        add("dup message key: first good, last rejected", msgs("'m':{'role':'user'},'m':{'role':'user','done':'yes'}"),
            "rows=0 reject=BAD_DONE");
        add("dup message key: position of the first, value of the last",
            msgs("'a':{'role':'user','content':1},'b':{'role':'user'},'a':{'role':'user','content':2}"),
            "rows=2 key=a content=2");
        add("dup role: last falsy", one("'role':'user','role':''"), "rows=0");
        add("dup role: last truthy", one("'role':'','role':'assistant'"), "rows=1 role=assistant");
        add("dup content: last wins", user("'content':'a','content':'b'"), "rows=1 content='b'");
        add("dup keys nested in content", user("'content':{'x':1,'y':2,'x':3}"), "rows=1 content={'x':3,'y':2}");
        add("dup keys nested in usage", user("'usage':{'in':1,'out':{'a':1,'a':[2]},'in':5}"),
            "rows=1 usage={'in':5,'out':{'a':[2]}}");
        add("dup timestamp: last wins", user("'timestamp':1700000000,'timestamp':1700000001"), "rows=1 ts=1700000001");
    }

    // ---- section 2.6 and 3: role --------------------------------------------------------------

    private void roles() {
        add("role: missing", one("'content':'x'"), "rows=0");
        for (String falsy : List.of("null", "false", "0", "-0", "0.0", "-0.0", "0e5", "''", "[]", "{}")) {
            add("role: " + falsy + " (falsy)", one("'role':" + falsy), "rows=0");
        }
        add("role: 1e-400 (underflows to 0.0, falsy)", one("'role':1e-400"), "rows=0");
        add("role: 'user'", one("'role':'user'"), "rows=1 role=user");
        add("role: 7", one("'role':7"), "rows=1 role=7");
        add("role: -5", one("'role':-5"), "rows=1 role=-5");
        add("role: big integer", one("'role':123456789012345678901234567890"), "rows=1 role=123456789012345678901234567890");
        add("role: 1.5", one("'role':1.5"), "rows=1 role=1.5");
        add("role: -2.25", one("'role':-2.25"), "rows=1 role=-2.25");
        add("role: 1e20", one("'role':1e20"), "rows=1 role=100000000000000000000");
        add("role: 1E+20", one("'role':1E+20"), "rows=1 role=100000000000000000000");
        add("role: 1e-7", one("'role':1e-7"), "rows=1 role=0.0000001");
        add("role: 1e-5", one("'role':1e-5"), "rows=1 role=0.00001");
        add("role: 0.0001", one("'role':0.0001"), "rows=1 role=0.0001");
        add("role: 100.0", one("'role':100.0"), "rows=1 role=100.0");
        add("role: 1e2", one("'role':1e2"), "rows=1 role=100.0");
        add("role: 1e15", one("'role':1e15"), "rows=1 role=1000000000000000.0");
        add("role: 1e16", one("'role':1e16"), "rows=1 role=10000000000000000");
        add("role: 1.5e16", one("'role':1.5e16"), "rows=1 role=15000000000000000");
        add("role: 1.10 (Python prints 1.1)", one("'role':1.10"), "rows=1 role=1.1");
        add("role: 0.1", one("'role':0.1"), "rows=1 role=0.1");
        add("role: 0.30000000000000004", one("'role':0.30000000000000004"), "rows=1 role=0.30000000000000004");
        add("role: 123456789.123456789 (rounded to a double)", one("'role':123456789.123456789"),
            "rows=1 role=123456789.12345679");
        add("role: 1e400 (inf)", one("'role':1e400"), "rows=1 role=Infinity");
        add("role: -1e400 (-inf)", one("'role':-1e400"), "rows=1 role=-Infinity");
        add("role: true", one("'role':true"), "rows=1 role=true");
        add("role: 'false' (a non-empty string)", one("'role':'false'"), "rows=1 role=false");
        add("role: '0' (a non-empty string)", one("'role':'0'"), "rows=1 role=0");
        add("role: ' ' (a non-empty string)", one("'role':' '"), "rows=1");
        add("role: escaped emoji pair", one("'role':'\\ud83d\\ude00'"), "rows=1 role=\ud83d\ude00");
        add("role: raw non-BMP and accents", one("'role':'rôle-\ud83e\udd16'"), "rows=1 role=rôle-\ud83e\udd16");
        add("role: [1,2]", one("'role':[1,2]"), "rows=0 reject=ARRAY_IN_TEXT");
        add("role: ['user']", one("'role':['user']"), "rows=0 reject=ARRAY_IN_TEXT");
        add("role: {'a':1}", one("'role':{'a':1}"), "rows=0 reject=OBJECT_IN_TEXT");
        add("role: NUL inside", one("'role':'us\\u0000er'"), "rows=0 reject=NUL_IN_TEXT");
        add("role: only NUL", one("'role':'\\u0000'"), "rows=0 reject=NUL_IN_TEXT");
        add("role: lone high surrogate", one("'role':'\\ud800'"), "rows=0 reject=LONE_SURROGATE_IN_TEXT");
        add("role: lone low surrogate", one("'role':'x\\udc00'"), "rows=0 reject=LONE_SURROGATE_IN_TEXT");
        add("role: surrogates in the wrong order", one("'role':'\\ude00\\ud83d'"), "rows=0 reject=LONE_SURROGATE_IN_TEXT");
    }

    // ---- section 3 and 6: parent_id and model_id ----------------------------------------------

    private void parentAndModel() {
        for (String[] f : new String[][] {{"parentId", "parent"}, {"model", "model"}}) {
            String k = f[0], col = f[1];
            add(k + ": missing", user(""), "rows=1 " + col + "=NULL");
            add(k + ": null", user("'" + k + "':null"), "rows=1 " + col + "=NULL");
            add(k + ": string", user("'" + k + "':'gpt-4o'"), "rows=1 " + col + "=gpt-4o");
            add(k + ": empty string", user("'" + k + "':''"), "rows=1 " + col + "=");
            add(k + ": 42", user("'" + k + "':42"), "rows=1 " + col + "=42");
            add(k + ": 0", user("'" + k + "':0"), "rows=1 " + col + "=0");
            add(k + ": 4.0", user("'" + k + "':4.0"), "rows=1 " + col + "=4.0");
            add(k + ": -0.0", user("'" + k + "':-0.0"), "rows=1 " + col + "=0.0");
            add(k + ": 2.5e-8", user("'" + k + "':2.5e-8"), "rows=1 " + col + "=0.000000025");
            add(k + ": 1e400", user("'" + k + "':1e400"), "rows=1 " + col + "=Infinity");
            add(k + ": true", user("'" + k + "':true"), "rows=1 " + col + "=true");
            add(k + ": false", user("'" + k + "':false"), "rows=1 " + col + "=false");
            add(k + ": {}", user("'" + k + "':{}"), "rows=0 reject=OBJECT_IN_TEXT");
            add(k + ": object", user("'" + k + "':{'id':'x'}"), "rows=0 reject=OBJECT_IN_TEXT");
            add(k + ": []", user("'" + k + "':[]"), "rows=0 reject=ARRAY_IN_TEXT");
            add(k + ": [1,2]", user("'" + k + "':[1,2]"), "rows=0 reject=ARRAY_IN_TEXT");
            add(k + ": NUL inside", user("'" + k + "':'a\\u0000b'"), "rows=0 reject=NUL_IN_TEXT");
            add(k + ": lone surrogate", user("'" + k + "':'\\udbff'"), "rows=0 reject=LONE_SURROGATE_IN_TEXT");
        }
        add("message.id differs from key; modelName unused", msgs("'k':{'id':'other','role':'user','modelName':'X'}"),
            "rows=1 key=k model=NULL");
    }

    // ---- section 3 and 6: done ----------------------------------------------------------------

    private void done() {
        add("done: missing", user(""), "rows=1 done=true");
        add("done: true", user("'done':true"), "rows=1 done=true");
        add("done: false", user("'done':false"), "rows=1 done=false");
        add("done: 1", user("'done':1"), "rows=1 done=true");
        add("done: 0", user("'done':0"), "rows=1 done=false");
        add("done: -0", user("'done':-0"), "rows=1 done=false");
        add("done: 1.0", user("'done':1.0"), "rows=1 done=true");
        add("done: 0.0", user("'done':0.0"), "rows=1 done=false");
        add("done: -0.0", user("'done':-0.0"), "rows=1 done=false");
        add("done: 1e0", user("'done':1e0"), "rows=1 done=true");
        // Python reads this literal as exactly 1.0.
        add("done: 1.0000000000000001", user("'done':1.0000000000000001"), "rows=1 done=true");
        add("done: null", user("'done':null"), "rows=1 done=NULL");
        add("done: 'true'", user("'done':'true'"), "rows=0 reject=BAD_DONE");
        add("done: ''", user("'done':''"), "rows=0 reject=BAD_DONE");
        add("done: 2", user("'done':2"), "rows=0 reject=BAD_DONE");
        add("done: -1", user("'done':-1"), "rows=0 reject=BAD_DONE");
        add("done: 0.5", user("'done':0.5"), "rows=0 reject=BAD_DONE");
        add("done: 1e400", user("'done':1e400"), "rows=0 reject=BAD_DONE");
        add("done: []", user("'done':[]"), "rows=0 reject=BAD_DONE");
        add("done: [true]", user("'done':[true]"), "rows=0 reject=BAD_DONE");
        add("done: {}", user("'done':{}"), "rows=0 reject=BAD_DONE");
    }

    // ---- section 3: timestamps ----------------------------------------------------------------

    private void timestamps() {
        long upper = now + 86_400;
        ts("missing", null, "now");
        ts("null", "null", "now");
        ts("int seconds", "1700000000", "1700000000");
        ts("float seconds truncate", "1700000000.9", "1700000000");
        ts("float that rounds up as a double", "1699999999.99999999", "1700000000");
        ts("1.7e9", "1.7e9", "1700000000");
        ts("milliseconds", "1717000000123", "1717000000");
        ts("milliseconds as float", "1717000000123.9", "1717000000");
        ts("milliseconds at the window start", "1577836800000", "1577836800");
        ts("milliseconds just before the window", "1577836799999", "now");
        ts("milliseconds floor at the window end", Long.toString(upper * 1000 + 999), Long.toString(upper));
        ts("negative milliseconds", "-1717000000123", "now");
        ts("string int", "'1700000000'", "1700000000");
        ts("string float with spaces", "' 1.7e9 '", "1700000000");
        ts("string with tabs and newlines", "'\\t1700000000\\n'", "1700000000");
        ts("string with Unicode spaces", "'\\u00a01700000000\\u3000'", "1700000000");
        ts("string of Arabic-Indic digits", "'\\u0661\\u0667\\u0660\\u0660\\u0660\\u0660\\u0660\\u0660\\u0660\\u0660'", "1700000000");
        ts("string with underscores", "'1_700_000_000'", "1700000000");
        ts("string with underscores in the fraction", "'1_700_000_000.9_9'", "1700000000");
        ts("string with a double underscore", "'1__700000000'", "now");
        ts("string starting with an underscore", "'_1700000000'", "now");
        ts("string ending with an underscore", "'1700000000_'", "now");
        ts("string with an underscore before the point", "'1700000000_.5'", "now");
        ts("string with a plus sign", "'+1700000000'", "1700000000");
        ts("string with a trailing point", "'1700000000.'", "1700000000");
        ts("string with a leading point", "'.17e10'", "1700000000");
        ts("string 1.7E+9", "'1.7E+9'", "1700000000");
        ts("string milliseconds", "'1717000000123'", "1717000000");
        ts("string abc", "'abc'", "now");
        ts("string empty", "''", "now");
        ts("string hex", "'0x6553F100'", "now");
        ts("string with an inner space", "'1700000000 1'", "now");
        ts("string with two exponents", "'1.7e9.0'", "now");
        ts("string nan", "'nan'", "now");
        ts("string inf", "'inf'", "now");
        ts("string -inf", "'-inf'", "now");
        ts("string Infinity", "'Infinity'", "now");
        ts("string 1e400", "'1e400'", "now");
        ts("true", "true", "now");
        ts("false", "false", "now");
        ts("object", "{'t':1700000000}", "now");
        ts("array", "[1700000000]", "now");
        ts("empty array", "[]", "now");
        ts("negative", "-1700000000", "now");
        ts("zero", "0", "now");
        ts("before 2020", "1500000000", "now");
        ts("one second before the window", "1577836799", "now");
        ts("window start", "1577836800", "1577836800");
        ts("window end", Long.toString(upper), Long.toString(upper));
        ts("one second after the window", Long.toString(upper + 1), "now");
        ts("exactly 10000000000 (not milliseconds)", "10000000000", "now");
        ts("10000000001 (milliseconds, 1970)", "10000000001", "now");
        ts("1e10 as a float", "1e10", "now");
        ts("huge integer", "1000000000000000000000000000000", "now");
        ts("integer beyond the double range", "1" + "0".repeat(400), "now");
        ts("1e400", "1e400", "now");
        ts("-1e400", "-1e400", "now");
        ts("1e-400", "1e-400", "now");
    }

    private void ts(String name, String value, String expected) {
        add("timestamp: " + name, user(value == null ? "" : "'timestamp':" + value), "rows=1 ts=" + expected);
    }

    // ---- section 3: JSON columns --------------------------------------------------------------

    private void jsonColumns() {
        add("json: all missing → JSON null", user(""),
            "rows=1 content=null output=null files=null sources=null embeds=null status=null error=null usage=null");
        add("json: all null", user("'content':null,'output':null,'files':null,'sources':null,'embeds':null,"
                + "'statusHistory':null,'error':null,'usage':null"),
            "rows=1 content=null output=null files=null sources=null embeds=null status=null error=null usage=null");
        add("json: each column from its own key", user("'content':'c','output':['o'],'files':[{'f':1}],'sources':[{'s':2}],"
                + "'embeds':['e'],'statusHistory':[{'done':true}],'error':{'message':'boom'},'usage':{'total_tokens':3}"),
            "rows=1 content='c' output=['o'] files=[{'f':1}] sources=[{'s':2}] embeds=['e'] status=[{'done':true}] "
                + "error={'message':'boom'} usage={'total_tokens':3}");
        add("json: snake_case and info.usage are not read", user("'status_history':[1],'info':{'usage':{'t':1}}"),
            "rows=1 status=null usage=null");
        add("json: string", user("'content':'hello'"), "rows=1 content='hello'");
        add("json: empty string", user("'content':''"), "rows=1 content=''");
        add("json: integer", user("'content':42"), "rows=1 content=42");
        add("json: float keeps its literal", user("'content':1.0"), "rows=1 content=1.0");
        add("json: float with trailing zeros", user("'content':1.10"), "rows=1 content=1.10");
        add("json: -0", user("'content':-0"), "rows=1 content=0");
        add("json: true", user("'content':true"), "rows=1 content=true");
        add("json: false", user("'content':false"), "rows=1 content=false");
        add("json: empty array", user("'content':[]"), "rows=1 content=[]");
        add("json: empty object", user("'content':{}"), "rows=1 content={}");
        add("json: key order preserved", user("'content':{'z':1,'a':2,'m':{'y':1,'b':2}}"),
            "rows=1 content={'z':1,'a':2,'m':{'y':1,'b':2}}");
        add("json: NUL inside a string", user("'content':'a\\u0000b'"), "rows=1 content='a\\u0000b'");
        add("json: NUL in a key", user("'usage':{'\\u0000':1}"), "rows=1 usage={'\\u0000':1}");
        add("json: lone surrogate inside a string", user("'content':'x\\ud800y'"), "rows=1 content='x\\ud800y'");
        add("json: lone surrogate in a key", user("'files':[{'\\udfff':1}]"), "rows=1 files=[{'\\udfff':1}]");
        add("json: raw emoji", user("'content':'hi \ud83d\udc4b'"), "rows=1 content='hi\\u0020\ud83d\udc4b'");
        add("json: escaped emoji", user("'content':'\\ud83d\\udc4b'"), "rows=1 content='\ud83d\udc4b'");
        add("json: escaped and raw accents are equal", user("'content':'\\u00e9t\u00e9'"), "rows=1 content='\u00e9t\u00e9'");
        add("json: escapes", user("'content':'q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\fapos\\u0027'"),
            "rows=1 content='q\\\"b\\\\s/n\\nt\\tr\\rb\\bf\\fapos\\u0027'");
        add("json: big integer", user("'usage':{'n':123456789012345678901234567890}"),
            "rows=1 usage={'n':123456789012345678901234567890}");
        add("json: integer of 400 digits (Python int, fine)", user("'usage':{'n':1" + "0".repeat(400) + "}"),
            "rows=1 usage={'n':1" + "0".repeat(400) + "}");
        add("json: more digits than a double", user("'usage':{'p':0.1000000000000000055511151231257827}"),
            "rows=1 usage={'p':0.1000000000000000055511151231257827}");
        add("json: 1.5e300", user("'usage':{'p':1.5e300}"), "rows=1 usage={'p':1.5e300}");
        add("json: 1e-400 (underflow is fine)", user("'usage':{'p':1e-400}"), "rows=1 usage={'p':1e-400}");
        add("json: 1e400 in usage", user("'usage':{'prompt_tokens':1e400}"), "rows=0 reject=NUMBER_OUT_OF_RANGE");
        add("json: -1e400 deep in sources", user("'sources':[{'a':[{'b':[-1e400]}]}]"), "rows=0 reject=NUMBER_OUT_OF_RANGE");
        add("json: 1e400 as content", user("'content':1e400"), "rows=0 reject=NUMBER_OUT_OF_RANGE");
        add("json: 1e400 in statusHistory", user("'statusHistory':[{'x':1E400}]"), "rows=0 reject=NUMBER_OUT_OF_RANGE");
        add("json: 1e400 in a key that is not stored", user("'annotation':{'rating':1e400}"), "rows=1");
        String deepArray = "[".repeat(200) + "1" + "]".repeat(200);
        add("json: 200 nested arrays", user("'content':" + deepArray), "rows=1 content=" + deepArray);
        String deepObject = "{'a':".repeat(200) + "'leaf'" + "}".repeat(200);
        add("json: 200 nested objects", user("'output':" + deepObject), "rows=1 output=" + deepObject);
        add("json: long string (100k)", user("'content':'" + "x".repeat(100_000) + "'"), "rows=1");
        add("json: every type in one array", user("'embeds':[null,true,false,0,-1,2.5,'s',[],{}]"),
            "rows=1 embeds=[null,true,false,0,-1,2.5,'s',[],{}]");
    }

    // ---- section 3: the id from the message key ----------------------------------------------

    private void messageKeys() {
        add("key: unicode", msgs("'cl\u00e9-\u00fc-\ud83d\ude00':{'role':'user'}"), "rows=1 key=cl\u00e9-\u00fc-\ud83d\ude00");
        add("key: escaped unicode", msgs("'\\u65e5\\u672c':{'role':'user'}"), "rows=1 key=\u65e5\u672c");
        add("key: with dashes", msgs("'a-b-c':{'role':'user'}"), "rows=1 key=a-b-c");
        add("key: empty string", msgs("'':{'role':'user'}"), "rows=1 key=");
        add("key: with a space", msgs("'a b':{'role':'user'}"), "rows=1");
        add("key: 1000 characters", msgs("'" + "k".repeat(1000) + "':{'role':'user'}"), "rows=1");
        add("key: NUL", msgs("'a\\u0000':{'role':'user'}"), "rows=0 reject=NUL_IN_TEXT");
        add("key: lone surrogate", msgs("'\\ud800':{'role':'user'}"), "rows=0 reject=LONE_SURROGATE_IN_TEXT");
        // two keys that TEXT alone would show alike: a NUL, and a key spelled as that NUL's escape (kept apart by message_key_json)
        add("key: NUL, and another spelled as its escape", msgs("'a\\u0000':{'role':'user'},'a\\\\u0000':{'role':{'o':1}}"),
            "rows=0 reject=NUL_IN_TEXT,OBJECT_IN_TEXT");
        add("key: good and bad messages in one chat",
            msgs("'good':{'role':'user'},'bad':{'role':'user','model':{'x':1}},'also':{'role':'assistant','done':7}"),
            "rows=1 key=good reject=OBJECT_IN_TEXT,BAD_DONE");
        StringBuilder many = new StringBuilder();
        for (int i = 0; i < 60; i++) {
            many.append(i == 0 ? "" : ",").append("'m").append(i).append("':{'role':'").append(i % 2 == 0 ? "user" : "assistant")
                .append("','parentId':").append(i == 0 ? "null" : "'m" + (i - 1) + "'").append(",'timestamp':")
                .append(1_700_000_000 + i).append('}');
        }
        add("key: 60 messages", msgs(many.toString()), "rows=60 key=m0 parent=NULL ts=1700000000");
    }

    // ---- chat ids: not UUIDs; ordering and id collisions --------------------------------------

    private void chatIds() {
        // "a" + "-" + "b-c" and "a-b" + "-" + "c" are both "a-b-c". Upstream reads "a" first (a
        // prefix sorts first in every collation) and ON CONFLICT DO NOTHING keeps its row.
        addWithId("collision: first chat wins", "a", "u1", msgs("'b-c':{'role':'user','content':'from a'}"),
            "rows=1 id=a-b-c content='from\\u0020a'");
        addWithId("collision: later chat loses", "a-b", "u1",
            msgs("'c':{'role':'assistant','content':'from a-b'},'d':{'role':'user'}"), "rows=1 key=d reject=DUPLICATE_ID");
        // A message that fails to insert never takes its id, so the later chat's row lands.
        addWithId("collision: first chat's message rejected", "x", "u1", msgs("'y-z':{'role':{'o':1}}"),
            "rows=0 reject=OBJECT_IN_TEXT");
        addWithId("collision: later chat wins over a rejected one", "x-y", "u1", msgs("'z':{'role':'user'}"),
            "rows=1 id=x-y-z");
        // SPEC 6.2: upstream reads chat with no ORDER BY, so physical order decides, not the ids:
        // "p-q" is inserted (lies) before "p", and keeps "p-q-r" although "p" sorts first.
        addWithId("collision: physically first chat wins", "p-q", "u1", msgs("'r':{'role':'user','content':'from p-q'}"),
            "rows=1 id=p-q-r content='from\\u0020p-q'");
        addWithId("collision: lower id, later in physical order, loses", "p", "u1",
            msgs("'q-r':{'role':'user','content':'from p'},'s':{'role':'user'}"), "rows=1 key=s reject=DUPLICATE_ID");
        addWithId("chat id: one character", "Z", "u1", user(""), "rows=1 id=Z-m");
        addWithId("chat id: mixed case", "AbC-Mixed", "u1", user(""), "rows=1 id=AbC-Mixed-m");
        addWithId("chat id: lower case twin", "abc-mixed", "u1", user(""), "rows=1 id=abc-mixed-m");
        addWithId("chat id: numeric-looking", "00123", "u1", user(""), "rows=1 id=00123-m");
        addWithId("chat id: numeric", "123", "u1", user(""), "rows=1 id=123-m");
        addWithId("chat id: exponent-looking", "1e5", "u1", user(""), "rows=1 id=1e5-m");
        addWithId("chat id: unicode", "chat-\u00fc-\u65e5\u672c-\ud83d\ude00", "u1", user(""),
            "rows=1 id=chat-\u00fc-\u65e5\u672c-\ud83d\ude00-m");
        addWithId("chat id: punctuation and LIKE wildcards", "100%_done's", "u1", user(""), "rows=1 id=100%_done's-m");
        addWithId("chat id: with a space", "with space", "u1", user(""), "rows=1");
        addWithId("chat id: uuid", "0b6f1c4e-9a51-4a8e-8e3a-7c1f3d2e5a90", "u1", user(""),
            "rows=1 id=0b6f1c4e-9a51-4a8e-8e3a-7c1f3d2e5a90-m");
        addWithId("chat id: UPPER CASE UUID", "0B6F1C4E-9A51-4A8E-8E3A-7C1F3D2E5A91", "u1", user(""), "rows=1");
    }

    // ---- section 2.1: which chats are read ----------------------------------------------------

    private void userIds() {
        addUser("user_id: NULL", null, "read=no");
        addUser("user_id: shared-x", "shared-x", "read=no");
        addUser("user_id: shared- (empty tail)", "shared-", "read=no");
        addWithId("user_id: shared-, document not even an object", "shared-doc", "shared-y", "[1]", "read=no");
        addUser("user_id: Shared-x (LIKE is case-sensitive)", "Shared-x", "rows=1");
        addUser("user_id: SHARED-X", "SHARED-X", "rows=1");
        addUser("user_id: shared (no dash)", "shared", "rows=1");
        addUser("user_id: shared_x ('-' is literal)", "shared_x", "rows=1");
        addUser("user_id: ' shared-x' (leading space)", " shared-x", "rows=1");
        addUser("user_id: xshared-x", "xshared-x", "rows=1");
        addUser("user_id: %", "%", "rows=1");
        addUser("user_id: _", "_", "rows=1");
        addUser("user_id: empty string", "", "rows=1");
    }

    private void addUser(String name, String userId, String expected) {
        addWithId(name, nextId(), userId, user(""), expected);
    }

    // ---- a document shaped like a real one (SPEC section 1) -----------------------------------

    private void realistic() {
        add("realistic: two messages on the current path", j("{'id':'','title':'PDF','models':['gpt-4o'],'params':{},"
                + "'history':{'currentId':'b2','messages':{"
                + "'u1':{'id':'u1','parentId':null,'childrenIds':['b2'],'role':'user','content':'Summarise the attached PDF',"
                + "'timestamp':1717000000,'files':[{'type':'file','name':'r.pdf'}],'models':['gpt-4o']},"
                + "'b2':{'id':'b2','parentId':'u1','childrenIds':[],'role':'assistant','content':'The report shows \u2026',"
                + "'model':'gpt-4o','modelName':'GPT-4o','modelIdx':0,'timestamp':1717000003,'done':true,"
                + "'statusHistory':[{'action':'web_search','done':true}],'sources':[{'source':{'name':'r.pdf'},"
                + "'document':['text'],'metadata':[{'page':1}]}],'usage':{'prompt_tokens':3512,'completion_tokens':412},"
                + "'annotation':{'rating':1}}}},"
                + "'messages':[{'id':'u1','role':'user','content':'Summarise the attached PDF'},"
                + "{'id':'b2','role':'assistant','content':'The report shows \u2026'}],"
                + "'tags':[],'timestamp':1717000000123,'files':[]}"),
            "rows=2 key=u1 parent=NULL model=NULL ts=1717000000 files=[{'type':'file','name':'r.pdf'}]");
        add("realistic: regenerated branch (siblings)", msgs("'u':{'role':'user','childrenIds':['a1','a2']},"
                + "'a1':{'role':'assistant','parentId':'u','done':false},'a2':{'role':'assistant','parentId':'u'}"),
            "rows=3 key=u");
    }

    // ---- section 6.1: Python's reading, exactly (each checked with python3 3.11) ---------------

    private void pythonGrammar() {
        // json.loads(str) guesses no byte encoding: NULs between characters are characters.
        add("python: double-encoded text that looks like UTF-32", ExactJson.quote("{\u0000\u0000\u0000x"), "chat=INVALID_JSON");
        add("python: double-encoded text that looks like UTF-16", ExactJson.quote("\u0000{\u0000\"\u0000h"), "chat=INVALID_JSON");
        add("python: double-encoded, inner UTF-16 byte-order mark", ExactJson.quote("\ufffe{}"), "chat=INVALID_JSON");
        add("python: double-encoded, raw lone surrogates in the inner text",
            ExactJson.quote(j("{'history':{'messages':{'m':{'role':'user','content':'a\udc00b'},'r':{'role':'\ud800'}}}}")),
            "rows=1 key=m content='a\\udc00b' reject=LONE_SURROGATE_IN_TEXT");
        add("python: double-encoded +Infinity where nothing is read",
            ExactJson.quote(j("{'messages':[+Infinity],'history':{'messages':{'m':{'role':'user'}}}}")), "chat=INVALID_JSON");
        add("python: double-encoded -INF in a message", ExactJson.quote(user("'usage':{'t':-INF}")), "chat=INVALID_JSON");
        add("python: double-encoded Infinity where nothing is read",
            ExactJson.quote(j("{'messages':[Infinity,NaN,-Infinity],'history':{'messages':{'m':{'role':'user'}}}}")), "rows=1");
        String ok = "7".repeat(4300), tooLong = "7".repeat(4301);
        add("python: integer of 4300 digits", user("'usage':{'n':-" + ok + "}"), "rows=1 usage={'n':-" + ok + "}");
        add("python: integer of 4301 digits", user("'usage':{'n':" + tooLong + "}"), "chat=INTEGER_TOO_LONG");
        add("python: negative integer of 4301 digits, where nothing is read",
            j("{'messages':[-" + tooLong + "],'history':{'messages':{'m':{'role':'user'}}}}"), "chat=INTEGER_TOO_LONG");
        add("python: integer of 4301 digits, overwritten by a duplicate key",
            user("'usage':{'n':" + tooLong + ",'n':1}"), "chat=INTEGER_TOO_LONG");
        add("python: double-encoded integer of 4301 digits", ExactJson.quote(user("'usage':" + tooLong)), "chat=INVALID_JSON");
        add("python: float of 4301 digits (no limit) where nothing is stored", user("'annotation':" + tooLong + ".5"), "rows=1");
        add("python: float of 4301 digits is inf in usage", user("'usage':" + tooLong + ".5"), "rows=0 reject=NUMBER_OUT_OF_RANGE");
        // Depth: the document, history, messages and the message are four levels; usage holds the rest.
        add("python: nesting 984, usage 980 deep", user("'usage':" + nest(980)), "rows=1 usage=" + nest(980));
        add("python: nesting 985, usage 981 deep (read, not written back)", user("'usage':" + nest(981)), "rows=0 reject=JSON_TOO_DEEP");
        add("python: nesting 986", user("'usage':" + nest(982)), "chat=NESTING_TOO_DEEP");
        add("python: nesting 986 where nothing is read", j("{'messages':" + nest(985) + ",'history':{'messages':{'m':{'role':'user'}}}}"),
            "chat=NESTING_TOO_DEEP");
        add("python: an array nested 2000 deep", nest(2000), "chat=NESTING_TOO_DEEP");
        add("python: double-encoded nesting 986", ExactJson.quote(user("'usage':" + nest(982))), "chat=INVALID_JSON");
        add("python: double-encoded usage 981 deep", ExactJson.quote(user("'usage':" + nest(981))), "rows=0 reject=JSON_TOO_DEEP");
        // The last value of a repeated key wins before anything is judged.
        add("python: overwritten 1e400", user("'usage':{'d':1e400,'d':1}"), "rows=1 usage={'d':1}");
        add("python: overwritten 1e400 content", user("'content':1e400,'content':'c'"), "rows=1 content='c'");
        add("python: overwritten too-deep value", user("'files':[{'d':" + nest(979) + ",'d':1}]"), "rows=1 files=[{'d':1}]");
        add("python: overwritten NUL, surrogate, object and bad done",
            one("'role':{'a':1},'role':'user','parentId':'\\u0000','parentId':'p','model':'\\ud800','model':'m','done':'x','done':false"),
            "rows=1 role=user parent=p model=m done=false");
        add("python: double-encoded overwritten NaN", ExactJson.quote(user("'usage':{'d':NaN,'d':2}")), "rows=1 usage={'d':2}");
        add("python: the last value is judged", user("'usage':{'d':1,'d':1e400}"), "rows=0 reject=NUMBER_OUT_OF_RANGE");
        // float(): its own whitespace (not str.isspace()) and Unicode decimal digits.
        ts("string with U+001C around (not float() whitespace)", "'\\u001c1700000000\\u001c'", "now");
        ts("string with U+001F before", "'\\u001f1700000000'", "now");
        ts("string with NBSP, VT and LINE SEPARATOR around", "'\\u00a0\\u000b1700000000\\u2028'", "1700000000");
        ts("string of mathematical bold digits", "'\\ud835\\udfcf\\ud835\\udfd5\\ud835\\udfce\\ud835\\udfce"
            + "\\ud835\\udfce\\ud835\\udfce\\ud835\\udfce\\ud835\\udfce\\ud835\\udfce\\ud835\\udfce'", "1700000000");
        ts("string with a Tangsa digit (Unicode 14)", "'170000000\\ud81a\\udec0'", "1700000000");
        ts("string with MONGOLIAN VOWEL SEPARATOR (not whitespace)", "'\\u180e1700000000'", "now");
        // repr() of a subnormal has one digit: 5e-324, not Java's 4.9E-324.
        add("python: role 5e-324", one("'role':5e-324"), "rows=1 role=0." + "0".repeat(323) + "5");
        add("python: parentId 4.9e-324 (the same double)", user("'parentId':4.9e-324"), "rows=1 parent=0." + "0".repeat(323) + "5");
        add("python: model 1e-322", user("'model':1e-322"), "rows=1 model=0." + "0".repeat(321) + "1");
    }

    /** {@code depth} nested arrays around nothing. */
    private static String nest(int depth) {
        return "[".repeat(depth) + "]".repeat(depth);
    }

    // ---- builders -----------------------------------------------------------------------------

    private void add(String name, String document, String expected) {
        addWithId(name, nextId(), "u1", document, expected);
    }

    private void addWithId(String name, String chatId, String userId, String document, String expected) {
        cases.add(new Case(new Fixture(name, chatId, userId, document), expected));
    }

    private String nextId() {
        return String.format("ec-%03d", ++counter);
    }

    /** JSON written with {@code '} for {@code "}, for readable Java literals. */
    static String j(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    private static String msgs(String entries) {
        return j("{'history':{'currentId':null,'messages':{" + entries + "}}}");
    }

    /** A document holding one message under key {@code m}. */
    private static String one(String messageBody) {
        return msgs("'m':{" + messageBody + "}");
    }

    /** One message with role 'user' and {@code extra} fields. */
    private static String user(String extra) {
        return one("'role':'user'" + (extra.isEmpty() ? "" : "," + extra));
    }
}
