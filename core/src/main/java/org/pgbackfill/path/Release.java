package org.pgbackfill.path;

/**
 * An Open WebUI release and the Alembic revision its migrations end at.
 *
 * @param version      {@code 0.11.0} (no leading v)
 * @param date         its date as upstream's CHANGELOG gives it ({@code 2026-07-27}), or null
 * @param headRevision the revision its {@code alembic upgrade head} ends at
 */
public record Release(String version, String date, String headRevision) {
}
