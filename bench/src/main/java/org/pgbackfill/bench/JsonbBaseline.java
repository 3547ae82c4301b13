package org.pgbackfill.bench;

import org.pgbackfill.schema.TargetSchema;

import java.io.OutputStream;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * Baseline: the whole backfill as ONE server-side statement, {@code INSERT INTO chat_message … SELECT …
 * FROM chat c, jsonb_each(c.chat::jsonb -> 'history' -> 'messages') …}, in one transaction on one
 * connection (so one backend, one core), followed by the seven indexes one after another and the
 * foreign key ({@code NOT VALID}, orphans deleted, {@code VALIDATE}). The session is left at its defaults.
 *
 * <p>What the statement implements of SPEC.md sections 2 and 3:
 * <ul>
 * <li>chats {@code WHERE c.user_id NOT LIKE 'shared-%'}; {@code history} and {@code history.messages}
 *     must be objects ({@code ->} on a non-object is NULL, and {@code jsonb_each} only ever sees an
 *     object, so no document shape makes it fail); SQL NULL, {@code null}, {@code false}, {@code 0},
 *     {@code ""}, {@code {}}, {@code []} and top-level arrays, numbers and {@code true} yield nothing;</li>
 * <li>a row per entry whose value is an object with a truthy {@code role}; id {@code c.id || '-' || key};
 *     duplicate keys: last wins at every level (that is what jsonb keeps);</li>
 * <li>TEXT columns: strings as they are, numbers as {@code numeric} prints them, booleans as
 *     {@code 'true'}/{@code 'false'}, JSON null or missing as SQL NULL; a message whose {@code role},
 *     {@code parentId} or {@code model} is an object or an array does not land (SPEC section 6);</li>
 * <li>JSON columns {@code coalesce(msg->'x', 'null')::json}: missing or null is the JSON literal {@code null};</li>
 * <li>{@code done}: missing → true, booleans, 0/1 (also 0.0/1.0), null → SQL NULL; a string or any
 *     other number does not land (SPEC section 6);</li>
 * <li>{@code created_at = updated_at}: SPEC section 3's rule with the fixed {@code now}: numbers via
 *     {@code float8} then truncated (Python's {@code int(float(x))}), numeric strings with surrounding
 *     whitespace and underscores between digits, milliseconds to seconds, outside
 *     [2020-01-01, now + 1 day] → now; anything else (booleans included, as 1/0) → now.</li>
 * </ul>
 *
 * <p>Where it deviates from SPEC (the benchmark's generated data has no such cases, so timing is unaffected):
 * <ul>
 * <li>{@code chat::jsonb} must parse every document read: invalid JSON, a NUL escape ({@code U+0000}) or a lone
 *     surrogate anywhere in a document, or a number beyond {@code numeric}'s range, aborts the whole
 *     statement (and so the run) instead of rejecting one chat or message;</li>
 * <li>nothing is recorded as rejected: messages and chats that SPEC section 6 rejects simply do not land;</li>
 * <li>a number beyond a double's range ({@code 1e400}) in a JSON column lands as that number, where upstream
 *     (Python turns it into {@code Infinity}, which PostgreSQL refuses) loses the message and pgbackfill
 *     rejects it (checking every number of every message in SQL would cost a full walk of each message);</li>
 * <li>when two chats produce the same id, the row the scan meets first wins (heap order), where upstream and
 *     pgbackfill keep the chat with the lowest id (an ORDER BY would sort every row);</li>
 * <li>a document that is a JSON string (double-encoded) is not decoded again: it yields nothing;</li>
 * <li>JSON columns are jsonb's rendering: whitespace normalised ({@code ", "}, {@code ": "}), object keys
 *     in jsonb order (shorter keys first, then bytewise), duplicate keys inside values collapsed, numbers
 *     as numeric prints them; JSON-equal as jsonb, not the same text or key order;</li>
 * <li>a float in a TEXT column prints as jsonb keeps it ({@code 1.50 → '1.50'}, {@code 1E2 → '100'}),
 *     where upstream prints Python's repr through numeric ({@code '1.5'}, {@code '100.0'});</li>
 * <li>timestamp strings: {@code [[:space:]]} for Python's whitespace, ASCII digits only (Python also takes
 *     other Unicode digits), no {@code inf}/{@code nan} (both end as now anyway), and strings whose
 *     exponent has more than three digits or whose digits run past 1000 give now;</li>
 * <li>a value too long for a btree entry (a message key of thousands of characters in the id, a huge
 *     {@code parentId} or {@code model}) makes the INSERT (primary key) or a CREATE INDEX fail, and the run
 *     with it, where upstream loses that one message and pgbackfill rejects it.</li>
 * </ul>
 */
public final class JsonbBaseline {
    private static final String DIGITS = "[0-9](?:_?[0-9])*";
    /** A Python float() string: (1) mantissa, (2) exponent digits, whitespace around. */
    private static final String FLOAT_STRING = "^[[:space:]]*([+-]?(?:" + DIGITS + "(?:\\.(?:" + DIGITS + ")?)?|\\." + DIGITS
        + "))(?:[eE]([+-]?" + DIGITS + "))?[[:space:]]*$";

    private JsonbBaseline() { }

    /**
     * Runs the whole migration on {@code c} (left in manual-commit mode) with {@code nowEpoch} as the
     * fixed "now" of the timestamp rule; {@code progress} (may be null) gets a line per phase.
     */
    public static BaselineResult run(Connection c, long nowEpoch, PrintStream progress) throws SQLException {
        PrintStream out = progress != null ? progress : new PrintStream(OutputStream.nullOutputStream());
        c.setAutoCommit(false);
        long t0 = System.nanoTime();
        long inserted;
        try (Statement st = c.createStatement()) {
            st.execute(TargetSchema.CREATE_TABLE);
            inserted = st.executeUpdate(insertSql(nowEpoch));
            c.commit();
        }
        long t1 = System.nanoTime();
        out.printf(Locale.ROOT, "  jsonb: INSERT … SELECT: %d rows, %.1f s%n", inserted, (t1 - t0) / 1e9);

        double[] build = BaselineResult.buildIndexesAndForeignKey(c, "jsonb", out);
        long rows = BaselineResult.countRows(c);
        return new BaselineResult("jsonb", (t1 - t0) / 1e9, build[0], build[1], (System.nanoTime() - t0) / 1e9, -1, -1, rows, -1);
    }

    /** The one statement; {@code now} is a number, inlined. */
    static String insertSql(long now) {
        String role = "m.msg -> 'role'", done = "m.msg -> 'done'";
        String latest = now + "::bigint + 86400";
        return "INSERT INTO chat_message (" + TargetSchema.COLUMNS + ")\n"
            + "SELECT c.id || '-' || m.key, c.id, c.user_id,\n"
            + "       m.msg ->> 'role', m.msg ->> 'parentId',\n"
            + "       " + json("content") + ", " + json("output") + ",\n"
            + "       m.msg ->> 'model',\n"
            + "       " + json("files") + ", " + json("sources") + ", " + json("embeds") + ",\n"
            + "       CASE jsonb_typeof(" + done + ") WHEN 'boolean' THEN (" + done + ")::boolean"
            + " WHEN 'number' THEN (" + done + ")::numeric = 1 WHEN 'null' THEN NULL ELSE true END,\n"
            + "       " + json("statusHistory") + ", " + json("error") + ", " + json("usage") + ",\n"
            + "       m.created_at, m.created_at\n"
            + "FROM chat c\n"
            // Per chat: the document parsed once, its history.messages entries, and each entry's
            // created_at. OFFSET 0 keeps each level from being inlined into the next, where its
            // expression would be evaluated once per reference (the document parsed twice, the
            // timestamp a dozen times). The parameter of this subquery is c.chat, a json: not
            // hashable, so the planner cannot put a Memoize (a cache keyed by the document) over it.
            + "CROSS JOIN LATERAL (\n"
            // timestamp step 3 and 4: milliseconds to seconds, then outside [2020-01-01, now + 1 day] -> now
            // (i above 10^10 is never in range itself, as long as now + 1 day < 10^10, i.e. before 2286)
            + "    SELECT e.key, e.msg, CASE WHEN e.i BETWEEN 1577836800 AND " + latest + " THEN e.i"
            + " WHEN e.i > 10000000000 AND e.i / 1000 BETWEEN 1577836800 AND " + latest + " THEN e.i / 1000"
            + " ELSE " + now + "::bigint END AS created_at\n"
            // step 2: Python's int(float(x)); NULL (-> now) when x is NULL, 0 or beyond any valid timestamp
            + "    FROM (SELECT e.key, e.msg, CASE WHEN abs(e.x) >= 1 AND abs(e.x) < 1e18 THEN trunc(e.x::float8)::bigint END AS i\n"
            // step 1: the timestamp as a numeric: a JSON number, or a string Python's float() accepts
            + "          FROM (SELECT e.key, e.value AS msg, CASE jsonb_typeof(e.value -> 'timestamp')\n"
            + "                    WHEN 'number' THEN (e.value -> 'timestamp')::numeric\n"
            + "                    WHEN 'string' THEN (SELECT CASE WHEN f[1] IS NULL OR length(f[1]) > 1000 THEN NULL\n"
            + "                                            WHEN f[2] IS NULL THEN replace(f[1], '_', '')::numeric\n"
            + "                                            WHEN length(ltrim(replace(f[2], '_', ''), '+-0')) > 3 THEN NULL\n"
            + "                                            ELSE (replace(f[1], '_', '') || 'e' || replace(f[2], '_', ''))::numeric END\n"
            + "                                        FROM (SELECT regexp_match(e.value ->> 'timestamp', '" + FLOAT_STRING + "') AS f OFFSET 0) p)\n"
            + "                  END AS x\n"
            + "                FROM (SELECT c.chat::jsonb -> 'history' -> 'messages' AS messages OFFSET 0) d,\n"
            + "                     jsonb_each(CASE WHEN jsonb_typeof(d.messages) = 'object' THEN d.messages END) e\n"
            + "                OFFSET 0) e\n"
            + "          OFFSET 0) e\n"
            + ") m\n"
            + "WHERE c.user_id NOT LIKE 'shared-%'\n"
            + "  AND jsonb_typeof(m.msg) = 'object'\n"
            // role truthy (Python), and a scalar: an object or array role is a rejection (SPEC 6)
            + "  AND CASE jsonb_typeof(" + role + ") WHEN 'string' THEN " + role + " <> '\"\"'"
            + " WHEN 'number' THEN " + role + " <> '0' WHEN 'boolean' THEN " + role + " = 'true' ELSE false END\n"
            + "  AND coalesce(jsonb_typeof(m.msg -> 'parentId'), 'null') NOT IN ('object', 'array')\n"
            + "  AND coalesce(jsonb_typeof(m.msg -> 'model'), 'null') NOT IN ('object', 'array')\n"
            + "  AND CASE jsonb_typeof(" + done + ") WHEN 'number' THEN (" + done + ")::numeric IN (0, 1)"
            + " WHEN 'string' THEN false WHEN 'array' THEN false WHEN 'object' THEN false ELSE true END\n"
            + "ON CONFLICT (id) DO NOTHING";
    }

    private static String json(String field) {
        return "coalesce(m.msg -> '" + field + "', 'null')::json";
    }
}
