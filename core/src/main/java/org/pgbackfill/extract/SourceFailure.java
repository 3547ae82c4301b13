package org.pgbackfill.extract;

import java.io.IOException;

/**
 * A failure of a {@link DocumentSource} itself (the database or the spool file could not be read),
 * as opposed to anything wrong with the document it holds. Only {@link SourceStream} creates it, so
 * {@link MessageExtractor} can tell the two apart by type alone: this is the one exception that is
 * allowed to leave {@code extract} (as its cause), every other one becomes the chat's rejection.
 */
final class SourceFailure extends IOException {
    SourceFailure(Throwable cause) { super(cause.toString(), cause); }

    /** The source's own exception, as an IOException for the caller of {@code extract}. */
    IOException unwrap() {
        return getCause() instanceof IOException io ? io : this;
    }

    /** The SourceFailure in {@code t}'s cause chain (a parser or decoder may have wrapped it), or null. */
    static SourceFailure in(Throwable t) {
        for (int i = 0; t != null && i < 32; t = t.getCause(), i++) {
            if (t instanceof SourceFailure f) return f;
        }
        return null;
    }
}
