package org.pgbackfill.seed;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Open WebUI's life on a database after its upgrade to 856c5b02fb54: what the application (v0.9 and
 * later, which writes {@code chat_message} rows as it saves chats) does to {@code chat},
 * {@code chat_message} and {@code shared_chat}, done in set-based SQL in one transaction.
 *
 * <p>Which chats and rows each change touches, and the ids and times it writes, are functions of
 * the seed and of the chat or row id (md5), so the same seed over the same chats makes the same
 * changes. Documents the app rewrites go through {@code jsonb} (their keys reordered as jsonb
 * orders them); a document or a row's content PostgreSQL cannot take as jsonb (a {@code \u0000}
 * escape, a lone surrogate) is left alone, as are documents that are not an object with a {@code history.messages} object.
 *
 * <p>The changes, in order (shares of chats, or of rows for the row-level ones):
 * <ol>
 *   <li>users delete chats (2%): their rows and shares go by the foreign keys' cascade;</li>
 *   <li>users share chats (3%): a {@code shared_chat} snapshot and {@code chat.share_id}, as the share endpoint does;</li>
 *   <li>replies regenerated (10%): two or three new assistant replies to the parent of the chat's latest reply,
 *       all with one {@code created_at} (ties; in milliseconds for 15% of those chats, as the app's insert takes a
 *       client's timestamp unnormalized), written to the document (message, the parent's {@code childrenIds},
 *       {@code history.currentId}) and to {@code chat_message};</li>
 *   <li>messages edited (5% of string-content rows): new content, {@code updated_at} later;</li>
 *   <li>a message deleted (6%): the chat's latest leaf row, from the rows and the document; for half of those
 *       chats {@code history.currentId} still names it;</li>
 *   <li>rows lost without the document changing: every row of 4% of the chats, and 3% of all rows (their
 *       children's parents then name no row);</li>
 *   <li>{@code history.currentId} pointing nowhere (5%): an id that is neither a message nor a row.</li>
 * </ol>
 */
public final class AppLife {
    /** Seconds the simulated life lasts after {@code from}. */
    static final long SPAN_SECONDS = 30L * 86_400;

    /** What {@link #apply} changed, as its statements counted (the tests count from the data instead). */
    public record Report(long chatsDeleted, long chatsShared, long chatsRegenerated, long repliesAdded, long rowsEdited,
                         long messagesDeleted, long rowsLost, long currentIdsLost) {
        @Override public String toString() {
            return String.format("the app since the upgrade: %d chats deleted, %d shared, %d with regenerated replies "
                    + "(%d rows added), %d rows edited, %d messages deleted, %d rows lost, %d currentIds pointing nowhere",
                chatsDeleted, chatsShared, chatsRegenerated, repliesAdded, rowsEdited, messagesDeleted, rowsLost, currentIdsLost);
        }
    }

    private AppLife() { }

    /**
     * Applies the app's changes to a database at 856c5b02fb54 over {@code c}, in one transaction
     * (the connection's autocommit setting is restored afterwards).
     *
     * @param seed the random seed: which chats and rows change
     * @param from epoch seconds of the upgrade: every change happens in the 30 days after it
     */
    public static Report apply(Connection c, long seed, long from) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            functions(st, seed);
            String at = from + " + floor(pg_temp.pick('at', %s) * " + SPAN_SECONDS + ")::bigint";
            long deleted = st.executeUpdate("DELETE FROM chat WHERE pg_temp.pick('delete-chat', id) < 0.02");
            long shared = st.executeUpdate("INSERT INTO shared_chat (id, chat_id, user_id, title, chat, created_at, updated_at) "
                + "SELECT pg_temp.uid('share', id), id, user_id, title, chat, " + at.formatted("id") + ", " + at.formatted("id")
                + " FROM chat WHERE share_id IS NULL AND user_id IS NOT NULL AND pg_temp.pick('share', id) < 0.03");
            st.executeUpdate("UPDATE chat SET share_id = pg_temp.uid('share', id) WHERE share_id IS NULL AND user_id IS NOT NULL "
                + "AND pg_temp.pick('share', id) < 0.03");
            long regenerated = 0, replies = 0;
            try (ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE n > 0), coalesce(sum(n), 0) FROM (SELECT "
                    + "pg_temp.regenerate(id, " + at.formatted("id") + ", 2 + (pg_temp.pick('replies', id) < 0.4)::int, "
                    + "pg_temp.pick('milliseconds', id) < 0.15) AS n FROM chat WHERE pg_temp.pick('regenerate', id) < 0.10 "
                    + "ORDER BY id) r")) {
                rs.next();
                regenerated = rs.getLong(1);
                replies = rs.getLong(2);
            }
            long edited = st.executeUpdate("UPDATE chat_message SET content = to_json('(edited) ' || (pg_temp.try_jsonb(content) #>> '{}')), "
                + "updated_at = greatest(coalesce(created_at, 0), " + from + ") + 1 + floor(pg_temp.pick('edited-at', id) * "
                + SPAN_SECONDS + ")::bigint WHERE pg_temp.pick('edit', id) < 0.05 AND jsonb_typeof(pg_temp.try_jsonb(content)) = 'string'");
            long messagesDeleted;
            try (ResultSet rs = st.executeQuery("SELECT count(*) FILTER (WHERE pg_temp.delete_leaf(id, " + at.formatted("id")
                    + ", pg_temp.pick('repair', id) < 0.5)) FROM (SELECT id FROM chat WHERE pg_temp.pick('delete-message', id) < 0.06 "
                    + "ORDER BY id) d")) {
                rs.next();
                messagesDeleted = rs.getLong(1);
            }
            long lost = st.executeUpdate("DELETE FROM chat_message WHERE chat_id IN (SELECT id FROM chat WHERE "
                + "pg_temp.pick('lose-rows', id) < 0.04)");
            lost += st.executeUpdate("DELETE FROM chat_message WHERE pg_temp.pick('lose-row', id) < 0.03");
            long nowhere = st.executeUpdate("UPDATE chat SET chat = jsonb_set(pg_temp.try_jsonb(chat), '{history,currentId}', "
                + "to_jsonb(pg_temp.uid('nowhere', id)))::json WHERE pg_temp.pick('nowhere', id) < 0.05 "
                + "AND jsonb_typeof(pg_temp.try_jsonb(chat) -> 'history') = 'object'");
            st.execute("DROP FUNCTION pg_temp.delete_leaf(text, bigint, boolean), pg_temp.regenerate(text, bigint, integer, boolean), "
                + "pg_temp.try_jsonb(json), pg_temp.uid(text, text), pg_temp.pick(text, text)");
            c.commit();
            return new Report(deleted, shared, regenerated, replies, edited, messagesDeleted, lost, nowhere);
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    private static void functions(Statement st, long seed) throws SQLException {
        // a number in [0, 1) and a uuid, each a function of the seed, a purpose and an id
        st.execute("CREATE FUNCTION pg_temp.pick(k text, id text) RETURNS double precision LANGUAGE sql IMMUTABLE AS $$ "
            + "SELECT ('x' || substr(md5('" + seed + ":' || k || ':' || id), 1, 8))::bit(32)::bigint / 4294967296.0 $$");
        st.execute("CREATE FUNCTION pg_temp.uid(k text, id text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ "
            + "SELECT md5('" + seed + ":uid:' || k || ':' || id)::uuid::text $$");
        st.execute("CREATE FUNCTION pg_temp.try_jsonb(d json) RETURNS jsonb LANGUAGE plpgsql IMMUTABLE AS $$ "
            + "BEGIN RETURN d::jsonb; EXCEPTION WHEN others THEN RETURN NULL; END $$");
        // k replies to the parent of the chat's latest reply, at one time t (t * 1000 in chat_message when ms)
        st.execute("""
            CREATE FUNCTION pg_temp.regenerate(cid text, t bigint, k integer, ms boolean) RETURNS integer LANGUAGE plpgsql AS $$
            DECLARE d jsonb; owner text; p text; model text; nid text; msg jsonb; path jsonb;
            BEGIN
              SELECT pg_temp.try_jsonb(chat), user_id INTO d, owner FROM chat WHERE id = cid;
              IF jsonb_typeof(d -> 'history' -> 'messages') IS DISTINCT FROM 'object' THEN RETURN 0; END IF;
              SELECT m.parent_id, m.model_id INTO p, model FROM chat_message m
               WHERE m.chat_id = cid AND m.role = 'assistant' AND m.parent_id IS NOT NULL
               ORDER BY m.created_at DESC NULLS LAST, m.id LIMIT 1;
              IF p IS NULL OR jsonb_typeof(d -> 'history' -> 'messages' -> p) IS DISTINCT FROM 'object' THEN RETURN 0; END IF;
              FOR i IN 1..k LOOP
                nid := pg_temp.uid('regenerate:' || i, cid);
                msg := jsonb_build_object('id', nid, 'parentId', p, 'childrenIds', '[]'::jsonb, 'role', 'assistant',
                  'content', 'Regenerated answer ' || i || ' of ' || k || '.', 'model', model, 'modelName', model,
                  'modelIdx', 0, 'timestamp', t, 'done', true);
                d := jsonb_set(d, ARRAY['history', 'messages', nid], msg);
                IF jsonb_typeof(d -> 'history' -> 'messages' -> p -> 'childrenIds') = 'array' THEN
                  d := jsonb_set(d, ARRAY['history', 'messages', p, 'childrenIds'],
                    (d -> 'history' -> 'messages' -> p -> 'childrenIds') || to_jsonb(nid));
                END IF;
                INSERT INTO chat_message (id, chat_id, user_id, role, parent_id, content, model_id, done, created_at, updated_at)
                VALUES (cid || '-' || nid, cid, owner, 'assistant', p, to_json(msg ->> 'content'), model, true,
                  CASE WHEN ms THEN t * 1000 ELSE t END, t);
              END LOOP;
              d := jsonb_set(d, '{history,currentId}', to_jsonb(nid));
              path := d -> 'messages';   -- the current path: its last reply becomes the new one
              IF jsonb_typeof(path) = 'array' AND jsonb_array_length(path) > 0 AND path -> -1 ->> 'parentId' = p THEN
                d := jsonb_set(d, '{messages,-1}', msg);
              END IF;
              UPDATE chat SET chat = d::json, updated_at = t WHERE id = cid;
              RETURN k;
            END $$""");
        // the app deletes the chat's latest leaf message: from its rows and from the document
        st.execute("""
            CREATE FUNCTION pg_temp.delete_leaf(cid text, t bigint, repair boolean) RETURNS boolean LANGUAGE plpgsql AS $$
            DECLARE d jsonb; mid text; p text; children jsonb;
            BEGIN
              SELECT pg_temp.try_jsonb(chat) INTO d FROM chat WHERE id = cid;
              IF jsonb_typeof(d -> 'history' -> 'messages') IS DISTINCT FROM 'object' THEN RETURN false; END IF;
              SELECT substr(m.id, length(cid) + 2), m.parent_id INTO mid, p FROM chat_message m
               WHERE m.chat_id = cid AND m.id LIKE cid || '-%' AND m.created_at IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM chat_message c WHERE c.chat_id = cid AND c.parent_id = substr(m.id, length(cid) + 2))
               ORDER BY m.created_at DESC, m.id LIMIT 1;
              IF mid IS NULL OR NOT (d -> 'history' -> 'messages' ? mid) THEN RETURN false; END IF;
              DELETE FROM chat_message WHERE id = cid || '-' || mid;
              d := d #- ARRAY['history', 'messages', mid];
              children := d -> 'history' -> 'messages' -> p -> 'childrenIds';
              IF p IS NOT NULL AND jsonb_typeof(children) = 'array' THEN
                d := jsonb_set(d, ARRAY['history', 'messages', p, 'childrenIds'],
                  coalesce((SELECT jsonb_agg(e) FROM jsonb_array_elements(children) e WHERE e <> to_jsonb(mid)), '[]'::jsonb));
              END IF;
              IF repair AND p IS NOT NULL AND d -> 'history' ->> 'currentId' = mid THEN
                d := jsonb_set(d, '{history,currentId}', to_jsonb(p));
              END IF;
              UPDATE chat SET chat = d::json, updated_at = t WHERE id = cid;
              RETURN true;
            END $$""");
    }
}
