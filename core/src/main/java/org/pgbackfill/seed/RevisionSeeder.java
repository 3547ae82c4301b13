package org.pgbackfill.seed;

import org.pgbackfill.BackfillException;
import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.Backfill;
import org.pgbackfill.engine.BackfillConfig;
import org.pgbackfill.engine.RunReport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;

/**
 * A generated Open WebUI database at one of the revisions {@code pgbackfill seed} can make.
 *
 * <ul>
 *   <li>{@value #BEFORE_CHAT_MESSAGE} (the default): the {@code chat} table just before 8452d01d26d7, filled by
 *       {@link ChatSeeder};</li>
 *   <li>{@value #BEFORE_CURRENT_MESSAGE}: the same chats, with the 0.8 app's share links pointed at their
 *       originals, then {@code chat_message} filled by the first job (8452d01d26d7, as upstream leaves it), the
 *       revisions after it up to 856c5b02fb54 applied ({@value #UPGRADE_RESOURCE}: their columns, their tables and
 *       c1d2e3f4a5b6's move of the shared copies into {@code shared_chat}), and then the app's later life
 *       ({@link AppLife}), all a function of the seed.</li>
 * </ul>
 *
 * <p>The data are the same for the same options. With more than one connection the physical order of the rows
 * is not (the chats are loaded, and chat_message filled, by parallel streams).
 */
public final class RevisionSeeder {
    public static final String BEFORE_CHAT_MESSAGE = "374d2f66af06";
    public static final String BEFORE_CURRENT_MESSAGE = "856c5b02fb54";
    /** The revisions seed can make, the default first. */
    public static final List<String> REVISIONS = List.of(BEFORE_CHAT_MESSAGE, BEFORE_CURRENT_MESSAGE);
    /** The revisions after 8452d01d26d7 up to 856c5b02fb54, as a classpath resource. */
    public static final String UPGRADE_RESOURCE = "/org/pgbackfill/sql/openwebui-856c5b02fb54.sql";
    /** The first job's own schema while seeding; dropped afterwards, as upstream's revision leaves none. */
    static final String JOB_SCHEMA = "pgbackfill_seed";
    /** The upgrade happens this long after the generated chats' "now" ({@link GeneratorOptions#epochBase()}). */
    static final long UPGRADE_AFTER_SECONDS = 7L * 86_400;

    /** What {@link #seed} made: the chats, and at 856c5b02fb54 the first job's rows and the app's changes (else null). */
    public record Result(String revision, SeedReport chats, Long messageRows, AppLife.Report appLife) {
        @Override public String toString() {
            return chats + (messageRows == null ? "" : "; chat_message: " + messageRows + " rows by the first job; " + appLife);
        }
    }

    private final GeneratorOptions options;
    private final String revision;
    private ChatSeeder.Progress progress = (c, b) -> { };

    /** @throws IllegalArgumentException for a revision seed cannot make ({@link #check}) */
    public RevisionSeeder(GeneratorOptions options, String revision) {
        this.options = Objects.requireNonNull(options);
        this.revision = check(revision);
    }

    public RevisionSeeder progress(ChatSeeder.Progress p) {
        this.progress = Objects.requireNonNull(p);
        return this;
    }

    /**
     * @return the revision, when seed can make it
     * @throws IllegalArgumentException naming the ones it can make
     */
    public static String check(String revision) {
        if (REVISIONS.contains(revision)) return revision;
        throw new IllegalArgumentException("seed cannot make a database at revision " + revision + "; it makes "
            + BEFORE_CHAT_MESSAGE + " (just before 8452d01d26d7, chat_message's revision: the default) and "
            + BEFORE_CURRENT_MESSAGE + " (just before 9a1b2c3d4e5f, current_message_id's revision, with chat_message filled)");
    }

    /** Epoch seconds of the simulated upgrade to 856c5b02fb54. */
    public long upgradedAt() {
        return options.epochBase() + UPGRADE_AFTER_SECONDS;
    }

    /**
     * Seeds the database {@code url} names, over {@code connections} (to that database, autocommit when more
     * than one). At 856c5b02fb54 the database must not have a chat table yet.
     *
     * @throws BackfillException when the first job fails
     */
    public Result seed(DatabaseUrl url, List<Connection> connections) throws SQLException, BackfillException {
        if (revision.equals(BEFORE_CHAT_MESSAGE)) {
            return new Result(revision, new ChatSeeder(options).progress(progress).seed(connections), null, null);
        }
        Connection first = connections.get(0);
        if (!ChatSeeder.createSchemaIfAbsent(first)) {
            throw new SQLException("the database already has a chat table: seeding at revision " + revision
                + " needs an empty database (it creates the whole schema)");
        }
        SeedReport chats = new ChatSeeder(options).progress(progress).seed(connections);
        try (Statement st = first.createStatement()) {
            st.execute(sharesOfTheOldApp(options.seed()));
            st.execute("UPDATE chat o SET share_id = s.id FROM chat s WHERE s.user_id = 'shared-' || o.id");
        }
        RunReport job = new Backfill(BackfillConfig.builder().database(url).schema(JOB_SCHEMA)
            .workers(Math.max(1, connections.size())).nowEpoch(upgradedAt()).build()).run();
        try (Statement st = first.createStatement()) {
            st.execute("DROP SCHEMA " + JOB_SCHEMA + " CASCADE");
        }
        upgradeTo856c5b02fb54(first);
        AppLife.Report life = AppLife.apply(first, options.seed(), upgradedAt());
        try (Statement st = first.createStatement()) {
            st.execute("ANALYZE chat");
            st.execute("ANALYZE chat_message");
        }
        return new Result(revision, chats, job.rowsWritten(), life);
    }

    /**
     * Before v0.9 a share link was a copy of the chat whose user_id is {@code shared-<original chat id>}, the
     * original's share_id naming the copy. The generator's copies name random ids: about nine in ten are given
     * an original (and its title and document), the rest stay copies of a chat since deleted.
     */
    static String sharesOfTheOldApp(long seed) {
        String s = "'" + seed + ":";
        return "WITH s AS (SELECT id, row_number() OVER (ORDER BY md5(" + s + "copy:' || id)) AS n FROM chat "
            + "WHERE user_id LIKE 'shared-%' AND md5(" + s + "orphan:' || id) >= '1a'), "
            + "o AS (SELECT id, title, chat, row_number() OVER (ORDER BY md5(" + s + "original:' || id)) AS n FROM chat "
            + "WHERE user_id IS NOT NULL AND user_id NOT LIKE 'shared-%') "
            + "UPDATE chat SET user_id = 'shared-' || o.id, title = o.title, chat = o.chat FROM s JOIN o USING (n) WHERE chat.id = s.id";
    }

    /**
     * Open WebUI's revisions from 8452d01d26d7 to 856c5b02fb54 ({@link #UPGRADE_RESOURCE}), in one
     * transaction on {@code c}, as {@code alembic upgrade 856c5b02fb54} applies them to the tables seed
     * creates (the connection's autocommit setting is restored afterwards).
     */
    public static void upgradeTo856c5b02fb54(Connection c) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try (Statement st = c.createStatement()) {
            st.execute(upgradeSql());
            c.commit();
        } catch (SQLException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    /** The text of {@link #UPGRADE_RESOURCE}. */
    public static String upgradeSql() {
        try (InputStream in = RevisionSeeder.class.getResourceAsStream(UPGRADE_RESOURCE)) {
            if (in == null) throw new IllegalStateException("classpath resource " + UPGRADE_RESOURCE + " is missing");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + UPGRADE_RESOURCE, e);
        }
    }
}
