package org.pgbackfill.cli;

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
}
