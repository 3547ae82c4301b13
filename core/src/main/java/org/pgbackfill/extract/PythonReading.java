package org.pgbackfill.extract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.Reader;

/**
 * The extractor's Python reading (SPEC.md 6.1) for other jobs, outside this package: parsers that
 * read a document as Python's {@code json.loads} does ({@link PythonJson}, {@link PythonGrammarParser}),
 * the decoder of a double-encoded document ({@link JsonStringDecoder}), and the way to tell a failure of
 * the document's source from anything wrong with its content ({@link SourceFailure}).
 */
public final class PythonReading {
    /** What Python raises while reading a document that Jackson might otherwise have read. */
    public enum Refused {
        /** nested deeper than json.loads reads inside the migration: RecursionError */
        NESTING_TOO_DEEP,
        /** an integer of more than 4300 digits: ValueError */
        INTEGER_TOO_LONG,
        /** not JSON that Python's json module reads: JSONDecodeError (a ValueError), or undecodable bytes */
        INVALID_JSON
    }

    private PythonReading() { }

    /** A factory for {@link #parser} and {@link #innerParser}: no size limits, UTF-8 only, NaN/Infinity accepted. */
    public static JsonFactory factory() {
        return PythonJson.factory(false);
    }

    /** A parser over the document's bytes (the column's value) applying Python's grammar; closing it closes the source. */
    public static JsonParser parser(JsonFactory f, DocumentSource doc) throws IOException {
        return PythonJson.parser(f, SourceStream.open(doc));
    }

    /**
     * The characters of the JSON string that is the whole document (a double-encoded chat), decoded as
     * Python decodes a string literal; an error in the literal is a {@link Refused#INVALID_JSON} failure.
     */
    public static Reader innerText(DocumentSource doc) throws IOException {
        return new JsonStringDecoder(new BufferedInputStream(SourceStream.open(doc), 1 << 16));
    }

    /**
     * A parser over a double-encoded document's inner text applying Python's grammar, reporting depth and
     * integer length as themselves (not folded into INVALID_JSON as the chat_message job's inner parser does).
     */
    public static JsonParser innerParser(JsonFactory f, Reader text) throws IOException {
        return new PythonGrammarParser(f.createParser(text), false);
    }

    /** The source's own I/O failure in {@code t}'s cause chain (to propagate), or null when {@code t} is about the content. */
    public static IOException sourceFailure(Throwable t) {
        SourceFailure f = SourceFailure.in(t);
        return f == null ? null : f.unwrap();
    }

    /** What Python would have raised for a content failure {@code t} thrown while reading. */
    public static Refused refused(IOException t) {
        if (t instanceof PythonJson.Refusal r) {
            if (r.reason == RejectReason.NESTING_TOO_DEEP) return Refused.NESTING_TOO_DEEP;
            if (r.reason == RejectReason.INTEGER_TOO_LONG) return Refused.INTEGER_TOO_LONG;
        }
        return Refused.INVALID_JSON;
    }

    /**
     * The text PostgreSQL stores in a TEXT column when psycopg2 sends this Python number (its repr as
     * a literal, typed numeric/float8 and cast to text on assignment), as in the chat_message job.
     */
    public static String numberAsText(String jsonNumber, boolean isInteger) {
        return PythonNumbers.numberAsText(jsonNumber, isInteger);
    }
}
