package org.pgbackfill.cli;

import java.sql.SQLException;

/** A failure with its exit code (those of BackfillException.Kind) and a message for the user. */
final class DemoFailure extends Exception {
    final int exitCode;

    DemoFailure(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    static DemoFailure of(SQLException e, String what) {
        return new DemoFailure(ExitCodes.of(org.pgbackfill.db.DatabaseFailure.kindOf(e)), what + ": " + e.getMessage());
    }
}
