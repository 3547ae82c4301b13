package org.pgbackfill.extract;

import java.io.IOException;

/** A document that is not the JSON it claims to be; distinct from an I/O failure of its source. */
class MalformedDocumentException extends IOException {
    MalformedDocumentException(String message) { super(message); }
}
