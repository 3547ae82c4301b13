package org.pgbackfill.path;

import java.util.List;
import java.util.Optional;

/**
 * One of Open WebUI's Alembic revisions.
 *
 * @param id            the revision id ({@code 8452d01d26d7})
 * @param downRevisions the revisions it revises: none for the root, two or more for a merge revision
 * @param firstRelease  the first Open WebUI release that ships it ({@code 0.8.0}), or null when it
 *                      could not be established
 * @param title         the first line of the revision file's docstring
 */
public record Revision(String id, List<String> downRevisions, String firstRelease, String title) {
    public Revision {
        downRevisions = List.copyOf(downRevisions);
    }

    public Optional<String> release() {
        return Optional.ofNullable(firstRelease);
    }
}
