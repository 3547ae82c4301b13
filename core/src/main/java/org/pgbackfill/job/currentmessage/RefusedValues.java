package org.pgbackfill.job.currentmessage;

import org.pgbackfill.copy.Halving;
import org.pgbackfill.db.SqlStates;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes of values the server may refuse, isolated so that one value never fails its range or its
 * catch-up batch: the write of a list of (chat id, value) runs under a savepoint; if the server
 * refuses it for its data (a value the database's encoding cannot hold, say U+1F600 in a LATIN1
 * database: upstream's UPDATE, and its chat_message lookup before it, would fail on that chat and
 * abort the migration), the list is written again in halves ({@link Halving}), each under its own
 * savepoint, until the refused values stand alone. Those are returned, to be recorded as {@link
 * CurrentMessageReject#VALUE_REFUSED}; the rest is written. A lost connection, or a failure that is
 * not the data's ({@link SqlStates#connectionLost}), is thrown as it is.
 */
final class RefusedValues {
    /** A chat whose value the server refused, and why (the detail to record, ASCII only: any database encoding holds it). */
    record Refused(String chatId, String detail) { }

    /** Writes one list of (chat id, value) pairs in the caller's transaction. */
    @FunctionalInterface
    interface Write {
        void write(Connection c, List<String[]> writes) throws SQLException;
    }

    private RefusedValues() { }

    /** Writes {@code writes} with {@code write}, isolating what the server refuses ({@link Halving}); returns the refused ones (writes not made). */
    static List<Refused> write(Connection c, List<String[]> writes, Write write) throws SQLException {
        List<Refused> refused = new ArrayList<>();
        Halving.isolate(0, writes.size(), (from, to) -> {
            Savepoint sp = c.setSavepoint();
            try {
                write.write(c, writes.subList(from, to));
                c.releaseSavepoint(sp);
                return null;
            } catch (SQLException e) {
                if (e instanceof RangeWork.Superseded || SqlStates.connectionLost(e)) throw e;
                c.rollback(sp);
                return e;
            }
        }, (i, e) -> refused.add(new Refused(writes.get(i)[0], "the server refused the value " + ascii(writes.get(i)[1]) + ": "
            + ascii(String.valueOf(e.getMessage())) + " (SQLSTATE " + e.getSQLState() + ")")));
        return refused;
    }

    /** {@code s} as a JSON string literal with every character outside printable ASCII escaped ({@code \\uXXXX}): exact, and storable anywhere. */
    static String ascii(String s) {
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch == '"' || ch == '\\') b.append('\\').append(ch);
            else if (ch >= 0x20 && ch < 0x7f) b.append(ch);
            else b.append(String.format("\\u%04x", (int) ch));
        }
        return b.append('"').toString();
    }
}
