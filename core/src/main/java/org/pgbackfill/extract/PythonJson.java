package org.pgbackfill.extract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonFactoryBuilder;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.ObjectCodec;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.IOContext;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.UTF8StreamJsonParser;
import com.fasterxml.jackson.core.sym.ByteQuadsCanonicalizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;

/**
 * Jackson made to read JSON the way Python's {@code json.loads} reads a {@code str} (SPEC.md 6.1):
 * every parser the extractor uses comes from here, so the rules hold on every path (one pass, two
 * passes, sliced or re-encoded, plain or double-encoded, and in {@code verify}).
 *
 * <ul>
 *   <li>No byte-encoding detection: bytes are always UTF-8 (PostgreSQL sends UTF-8 and psycopg2
 *       decodes it so), and a double-encoded document is parsed from characters. Jackson would
 *       otherwise take text with NULs between ASCII characters for UTF-16/32 and skip a BOM.
 *   <li>The non-standard literals are exactly {@code NaN}, {@code Infinity}, {@code -Infinity}.
 *   <li>An integer literal of more than {@value #MAX_INT_DIGITS} digits is refused (Python 3.11's
 *       int conversion limit, {@code ValueError}).
 *   <li>Nesting deeper than {@value #MAX_NESTING} containers is refused ({@code RecursionError}).
 * </ul>
 * Python and Jackson already agree on the rest (checked with python3): raw control characters in
 * strings, leading zeros, {@code 1.}, {@code .5}, a lone {@code -}, {@code +1}, trailing commas, and
 * whitespace between tokens being exactly space, tab, CR and LF are refused by both.
 */
final class PythonJson {
    /** {@code sys.get_int_max_str_digits()}'s default in Python 3.11+: more digits raise ValueError. */
    static final int MAX_INT_DIGITS = 4300;

    /**
     * The deepest nesting {@code json.loads} reads inside the migration. CPython 3.11 counts each
     * container against the recursion limit (1000) together with the Python frames already on the
     * stack: measured with python3 3.11.7, with F frames on the stack json.loads reads at most
     * 996 − F nested containers (991 at a script's top level). SPEC.md 6.1 measured about 985 inside
     * the migration (F ≈ 11), the figure taken here: deeper documents make upstream fail.
     */
    static final int MAX_NESTING = 985;

    /**
     * The deepest JSON column value (its own nesting, a container counting 1) that {@code json.dumps}
     * writes back inside SQLAlchemy. json.dumps counts containers exactly as json.loads does (same
     * 996 − F rule, measured) but is called deeper in the stack (SQLAlchemy's execute and bind
     * processing rather than psycopg2's fetch), "a few levels below" (SPEC.md 6): five frames are
     * taken. A value nested 981 deep inside a 985-deep document can be read but not written.
     */
    static final int MAX_WRITE_NESTING = 980;

    private PythonJson() { }

    /** A refusal Python would raise while reading the document; {@link #reason} says which. */
    static final class Refusal extends MalformedDocumentException {
        final RejectReason reason;

        Refusal(RejectReason reason, String message) {
            super(message);
            this.reason = reason;
        }
    }

    /**
     * A factory without Jackson's default safety limits (real documents hold 30 MB strings; nesting
     * is bounded by {@link #MAX_NESTING} instead), that reads bytes as UTF-8 only and accepts
     * NaN/Infinity (which {@link PythonGrammarParser} narrows to Python's three literals). Closing a
     * parser closes its source.
     */
    static JsonFactory factory(boolean strictDuplicates) {
        return factory(strictDuplicates, WordSkippingParser::new);
    }

    /** Makes the UTF-8 parser a factory hands out: its arguments are {@link UTF8StreamJsonParser}'s. */
    interface Utf8Parsers {
        UTF8StreamJsonParser create(IOContext ctxt, int features, InputStream in, ObjectCodec codec, ByteQuadsCanonicalizer symbols,
                                    byte[] buffer, int start, int end, boolean recyclable);
    }

    /** The same factory handing out {@code parsers}' parsers (a test compares ours with Jackson's own {@code UTF8StreamJsonParser::new}). */
    static JsonFactory factory(boolean strictDuplicates, Utf8Parsers parsers) {
        JsonFactoryBuilder b = new JsonFactoryBuilder();
        b.enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS);
        // every message key of history.messages is a new UUID: interning each in the JVM's string table costs and buys nothing
        b.disable(JsonFactory.Feature.INTERN_FIELD_NAMES);
        b.streamReadConstraints(StreamReadConstraints.builder()
                .maxStringLength(Integer.MAX_VALUE)
                .maxNumberLength(Integer.MAX_VALUE)
                .maxNameLength(Integer.MAX_VALUE)
                .maxNestingDepth(Integer.MAX_VALUE)
                .maxDocumentLength(-1)
                .maxTokenCount(-1)
                .build());
        JsonFactory f = new Utf8Only(b, parsers);
        if (strictDuplicates) f.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        return f;
    }

    /** A parser over a document's UTF-8 bytes (the {@code chat} column's value). */
    static JsonParser parser(JsonFactory f, InputStream in) throws IOException {
        return new PythonGrammarParser(f.createParser(in), false);
    }

    /** The same over bytes in memory. */
    static JsonParser parser(JsonFactory f, byte[] data, int offset, int length) throws IOException {
        return new PythonGrammarParser(f.createParser(data, offset, length), false);
    }

    /** A parser over the characters of a double-encoded document's inner text. */
    static JsonParser innerParser(JsonFactory f, Reader in) throws IOException {
        return new PythonGrammarParser(f.createParser(in), true);
    }

    /**
     * Bytes are UTF-8, always: Jackson's bootstrapper would guess UTF-16/32 from NUL bytes and
     * skip a byte-order mark; here a NUL or a BOM is just an unexpected character, as for Python.
     * The parser is Jackson's UTF-8 one with a faster string skip ({@link WordSkippingParser}).
     */
    private static final class Utf8Only extends JsonFactory {
        private static final long serialVersionUID = 1L;
        private final transient Utf8Parsers parsers;

        Utf8Only(JsonFactoryBuilder b, Utf8Parsers parsers) {
            super(b);
            this.parsers = parsers;
        }

        @Override
        protected JsonParser _createParser(InputStream in, IOContext ctxt) {
            return parsers.create(ctxt, _parserFeatures, in, _objectCodec, names(), ctxt.allocReadIOBuffer(), 0, 0, true);
        }

        @Override
        protected JsonParser _createParser(byte[] data, int offset, int len, IOContext ctxt) {
            return parsers.create(ctxt, _parserFeatures, null, _objectCodec, names(), data, offset, offset + len, false);
        }

        /**
         * The field names' table of one parser: its own, not a child of the factory's. Jackson merges
         * each parser's new names into the factory's table, and every document's message keys are new
         * UUIDs, so that table stays near its size limit (thousands of names) and every parser copied
         * it whole at its first new name; a fresh table costs the few common names again instead.
         */
        private ByteQuadsCanonicalizer names() {
            return ByteQuadsCanonicalizer.createRoot().makeChild(_factoryFeatures);
        }
    }
}
