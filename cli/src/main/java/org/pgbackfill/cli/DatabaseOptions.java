package org.pgbackfill.cli;

import org.pgbackfill.db.DatabaseUrl;
import org.pgbackfill.engine.BackfillConfig;
import picocli.CommandLine.Option;

/** Where a command that only reads or flags the run's state looks: the database and the tool's schema. */
final class DatabaseOptions {
    @Option(names = "--database-url", defaultValue = "${env:DATABASE_URL}",
        description = "postgresql://user:pass@host:port/db or a JDBC URL. Default: $DATABASE_URL.")
    String databaseUrl;

    @Option(names = "--schema", defaultValue = "${env:PGBACKFILL_SCHEMA:-" + BackfillConfig.DEFAULT_SCHEMA + "}",
        description = "The tool's schema (default: ${DEFAULT-VALUE}). Env: PGBACKFILL_SCHEMA.")
    String schema;

    /** The URL given (by --database-url or DATABASE_URL); bad usage, saying how to give one, when none is. */
    static DatabaseUrl parse(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("no database URL given: pass --database-url or set DATABASE_URL (" + DatabaseUrl.FORMS + ")");
        }
        return DatabaseUrl.parse(url);
    }
}
