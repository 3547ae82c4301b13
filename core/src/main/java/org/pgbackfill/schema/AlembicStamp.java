package org.pgbackfill.schema;

import org.pgbackfill.BackfillException;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Moves {@code alembic_version} from one revision to the next (374d2f66af06 to 8452d01d26d7 unless told), in the
 * caller's transaction, only when it still reads the first (so a concurrent stamp or migration is never overwritten).
 */
public final class AlembicStamp {
    private AlembicStamp() { }

    public static void stamp(Connection c) throws SQLException, BackfillException {
        stamp(c, TargetSchema.REVISION_BEFORE, TargetSchema.REVISION_AFTER);
    }

    /** Moves {@code alembic_version} from {@code from} to {@code to}, only when it still reads {@code from}. */
    public static void stamp(Connection c, String from, String to) throws SQLException, BackfillException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE alembic_version SET version_num = ? WHERE version_num = ?")) {
            ps.setString(1, to);
            ps.setString(2, from);
            if (ps.executeUpdate() != 1) {
                throw new BackfillException(BackfillException.Kind.WRONG_REVISION, "alembic_version no longer reads "
                    + from + ": someone else migrated the database during the run. Nothing was stamped; "
                    + "find out who (Open WebUI starting its own migration?) before going on");
            }
        }
    }
}
