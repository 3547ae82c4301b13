package org.pgbackfill.extract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Extracts the {@code chat_message} rows of one chat document, exactly as SPEC.md sections 2, 3
 * and 6 say, with Jackson's streaming parser: no tree of the document is ever built.
 *
 * <p>Duplicate keys make streaming subtle: a later {@code history}, {@code messages} or message
 * key replaces an earlier one, and an invalid (double-encoded) document yields nothing, so no row
 * may leave before the document is known to be whole. Documents up to {@code bufferedLimit}
 * bytes are therefore read once and their rows held until the end (memory about the document's
 * size). Larger documents are read twice from their {@link DocumentSource}: a scan that validates
 * the document and finds which occurrence of each key wins, then a pass that emits the winners as
 * it meets them. Either way memory is bounded by the limit and the largest single message, never
 * by the document.
 *
 * <p>Not thread-safe: each extracting thread has its own.
 */
public final class MessageExtractor {
    public static final int DEFAULT_BUFFERED_LIMIT = 8 << 20;
    private static final int RAW_PREFIX_BYTES = 4096;

    private final JsonFactory factory;
    private final JsonFactory slicingFactory;   // same, refusing duplicate keys: slicing copies bytes as they are
    private final MessageReader reader;
    private final int bufferedLimit;
    private final boolean asciiJson;

    public MessageExtractor(long nowEpoch) {
        this(nowEpoch, DEFAULT_BUFFERED_LIMIT);
    }

    public MessageExtractor(long nowEpoch, int bufferedLimit) {
        this(nowEpoch, bufferedLimit, false);
    }

    /**
     * @param asciiJson escape all non-ASCII characters in JSON columns (for servers whose encoding
     *                  is not UTF-8, where raw characters might not be representable)
     */
    public MessageExtractor(long nowEpoch, int bufferedLimit, boolean asciiJson) {
        this.factory = PythonJson.factory(false);
        this.slicingFactory = PythonJson.factory(true);
        this.reader = new MessageReader(factory, new TimestampRule(nowEpoch), asciiJson);
        this.bufferedLimit = bufferedLimit;
        this.asciiJson = asciiJson;
    }

    /**
     * A factory without Jackson's default safety limits (real documents hold 30 MB strings), reading
     * bytes as UTF-8 only, that accepts NaN and Infinity; it does not close the sources it reads.
     * (The extractor itself also applies the rest of Python's grammar, see {@link PythonJson}.)
     */
    public static JsonFactory newJsonFactory() {
        JsonFactory f = PythonJson.factory(false);
        f.disable(JsonParser.Feature.AUTO_CLOSE_SOURCE);
        return f;
    }

    /** What kind of document this is, decided from its first token(s) as upstream's code does. */
    private enum Shape { NOTHING, OBJECT, STRING, NOT_AN_OBJECT }

    /**
     * How to open the document to walk: a parser over its bytes, or over the characters the string
     * decoder yields when double-encoded. Closing the parser closes the source.
     */
    private interface Opener { JsonParser open() throws IOException; }

    /** The decoded inner text of a double-encoded document, from its start. */
    private interface TextOpener { Reader open() throws IOException; }

    /**
     * Extracts one chat. Rows and rejections go to {@code sink}; a document that cannot be read is
     * reported through {@link ExtractionSink#rejectedChat}. Throws only when the source itself
     * fails (an I/O error reading the database or the spool file, see {@link SourceFailure}), or
     * when the sink aborts; whatever else happens while reading one document (a parser error, an
     * encoding error, a bug) is that document's rejection, never a failure of its range.
     */
    public void extract(String chatId, String userId, DocumentSource doc, ExtractionSink sink) throws IOException {
        try {
            extractOrThrow(chatId, userId, doc, sink);
        } catch (ExtractionSink.Abort e) {
            throw e;
        } catch (IOException | RuntimeException | StackOverflowError e) {
            SourceFailure source = SourceFailure.in(e);
            if (source != null) throw source.unwrap();
            reject(chatId, doc, sink, e);
        }
    }

    /** Records why the document could not be extracted; the reason is decided by what was thrown. */
    private void reject(String chatId, DocumentSource doc, ExtractionSink sink, Throwable e) throws IOException {
        RejectReason reason;
        String detail;
        if (e instanceof PythonJson.Refusal r) {
            // Python could parse the text as JSON but would fail reading it (too deep, an integer too long).
            reason = r.reason;
            detail = r.getMessage();
        } else if (e instanceof IOException io) {
            // The parser or a decoder refused the text: not the JSON Python would read.
            reason = RejectReason.INVALID_JSON;
            detail = describe(io);
        } else {
            // A bug must not abort the run nor lose the chat silently: it is recorded, with the cause.
            reason = RejectReason.EXTRACTION_FAILED;
            detail = e.toString();
        }
        byte[] prefix;
        try {
            prefix = prefix(doc);
        } catch (SourceFailure f) {
            throw f.unwrap();
        }
        sink.rejectedChat(chatId, reason, detail, prefix);
    }

    private void extractOrThrow(String chatId, String userId, DocumentSource doc, ExtractionSink sink) throws IOException {
        Opener opener = () -> PythonJson.parser(factory, SourceStream.open(doc));
        Shape shape = shape(opener);
        boolean decoded = shape == Shape.STRING;
        if (decoded) {
            TextOpener text = () -> new JsonStringDecoder(new BufferedInputStream(SourceStream.open(doc), 1 << 16));
            opener = () -> PythonJson.innerParser(factory, text.open());
            shape = innerShape(text, opener);
        }
        switch (shape) {
            case NOTHING -> { }
            case NOT_AN_OBJECT -> sink.rejectedChat(chatId, RejectReason.NOT_AN_OBJECT,
                "the document is not a JSON object", prefix(doc));
            case OBJECT -> {
                // Slicing needs the bytes in memory, UTF-8 output, and no duplicate keys (found by the
                // first walk, before anything is emitted); otherwise messages are re-encoded.
                boolean slice = doc.array() != null && !asciiJson && !decoded;
                if (slice) {
                    try {
                        extractObject(opener, chatId, userId, doc, sink, true);
                        return;
                    } catch (JsonProcessingException duplicateKeys) {
                        // fall through: re-encode, resolving duplicates as Python does
                    } finally {
                        reader.sliceFrom(null, 0);
                    }
                }
                extractObject(opener, chatId, userId, doc, sink, false);
            }
            default -> throw new IllegalStateException();
        }
    }

    private void extractObject(Opener opener, String chatId, String userId, DocumentSource doc, ExtractionSink sink, boolean slice)
            throws IOException {
        if (slice) reader.sliceFrom(doc.array(), doc.offset());
        if (doc.length() <= bufferedLimit) {
            Buffered pass = new Buffered();
            walk(opener, chatId, userId, pass, slice ? doc : null);
            pass.emit(sink, chatId);
        } else {
            Scan scan = new Scan();
            walk(opener, chatId, userId, scan, slice ? doc : null);
            walk(opener, chatId, userId, new Stream(scan, sink, chatId), slice ? doc : null);
        }
    }

    /**
     * The document's shape from its first token. A document that is not an object is read to its end
     * (it is small, and Python reads it whole before upstream looks at it), so that an invalid one is
     * INVALID_JSON whichever way it starts; an object or a string is checked by the walk that follows.
     */
    private Shape shape(Opener opener) throws IOException {
        try (JsonParser p = opener.open()) {
            JsonToken t = p.nextToken();
            if (t == null) throw new MalformedDocumentException("the document is empty");
            Shape shape = switch (t) {
                case VALUE_NULL, VALUE_FALSE -> Shape.NOTHING;
                case VALUE_TRUE -> Shape.NOT_AN_OBJECT;
                case VALUE_NUMBER_INT -> isZero(p.getText()) ? Shape.NOTHING : Shape.NOT_AN_OBJECT;
                case VALUE_NUMBER_FLOAT -> p.getDoubleValue() == 0.0 && !p.isNaN() ? Shape.NOTHING : Shape.NOT_AN_OBJECT;
                case START_ARRAY -> skipArray(p) ? Shape.NOTHING : Shape.NOT_AN_OBJECT;
                case START_OBJECT -> Shape.OBJECT;
                case VALUE_STRING -> Shape.STRING;
                default -> throw new MalformedDocumentException("unexpected first token " + t);
            };
            if (shape == Shape.NOTHING || shape == Shape.NOT_AN_OBJECT) {
                if (p.nextToken() != null) throw new MalformedDocumentException("extra data after the document");
            }
            return shape;
        }
    }

    /** Skips the array the parser is on; returns whether it was empty. */
    private static boolean skipArray(JsonParser p) throws IOException {
        boolean empty = true;
        for (JsonToken t; (t = p.nextToken()) != JsonToken.END_ARRAY; empty = false) {
            if (t == null) throw new MalformedDocumentException("unexpected end of the document");
            if (t.isStructStart()) p.skipChildren();
        }
        return empty;
    }

    /** Whether an integer literal is zero ({@code 0}, {@code -0}), without converting a long one. */
    private static boolean isZero(String integer) {
        return integer.equals("0") || integer.equals("-0");
    }

    /**
     * The decoded inner document of a double-encoded chat: empty string → nothing (it was falsy);
     * an object → walk it; any other valid JSON → upstream would abort; anything else → invalid.
     */
    private Shape innerShape(TextOpener text, Opener opener) throws IOException {
        try (Reader in = text.open()) {
            if (in.read() < 0) return Shape.NOTHING;
        }
        try (JsonParser p = opener.open()) {
            JsonToken t = p.nextToken();
            if (t == null) throw new MalformedDocumentException("the double-encoded document is blank");
            if (t == JsonToken.START_OBJECT) return Shape.OBJECT;
            p.skipChildren();
            if (p.nextToken() != null) throw new MalformedDocumentException("extra data after the double-encoded value");
            return Shape.NOT_AN_OBJECT;
        }
    }

    /** What a pass over the document does at each step of the walk. */
    private interface Pass {
        void historyStarted();

        void messagesStarted();

        /** Whether the message at this key and position is to be read (else it is skipped). */
        boolean wants(String key, int ordinal);

        /** A message read: a {@link MessageRow}, a {@link MessageReader.Rejected}, or null (skipped). */
        void message(String key, int ordinal, Object result);
    }

    /** Walks the document; {@code sliced} non-null: parse its in-memory bytes so messages can be sliced from them. */
    private void walk(Opener opener, String chatId, String userId, Pass pass, DocumentSource sliced) throws IOException {
        try (JsonParser p = sliced == null ? opener.open()
                 : PythonJson.parser(slicingFactory, sliced.array(), sliced.offset(), (int) sliced.length())) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw new MalformedDocumentException("not an object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals("history")) {
                    pass.historyStarted();
                    if (v == JsonToken.START_OBJECT) walkHistory(p, chatId, userId, pass); else p.skipChildren();
                } else {
                    p.skipChildren();
                }
            }
            if (p.nextToken() != null) throw new MalformedDocumentException("extra data after the document");
        }
    }

    private void walkHistory(JsonParser p, String chatId, String userId, Pass pass) throws IOException {
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            if (name.equals("messages")) {
                pass.messagesStarted();
                if (v == JsonToken.START_OBJECT) walkMessages(p, chatId, userId, pass); else p.skipChildren();
            } else {
                p.skipChildren();
            }
        }
    }

    private void walkMessages(JsonParser p, String chatId, String userId, Pass pass) throws IOException {
        int ordinal = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            p.nextToken();
            if (pass.wants(key, ordinal)) {
                pass.message(key, ordinal, reader.read(p, chatId, userId, key));
            } else {
                p.skipChildren();
            }
            ordinal++;
        }
    }

    private static void emit(Object result, ExtractionSink sink, String chatId) {
        if (result instanceof MessageRow row) {
            sink.row(row);
        } else if (result instanceof MessageReader.Rejected r) {
            sink.rejectedMessage(chatId, r.key(), r.reason(), r.detail(), r.rawJson());
        }
    }

    /** One pass, rows held until the document is known to be whole; a later occurrence replaces an earlier one. */
    private static final class Buffered implements Pass {
        private final Map<String, Object> results = new LinkedHashMap<>();

        @Override public void historyStarted() { results.clear(); }
        @Override public void messagesStarted() { results.clear(); }
        @Override public boolean wants(String key, int ordinal) { return true; }

        @Override public void message(String key, int ordinal, Object result) {
            results.remove(key);
            if (result != null) results.put(key, result);
        }

        void emit(ExtractionSink sink, String chatId) {
            for (Object r : results.values()) MessageExtractor.emit(r, sink, chatId);
        }
    }

    /** First of two passes: validates the document and notes which occurrence of everything wins. */
    private static final class Scan implements Pass {
        int history = -1, messages = -1;
        final Map<String, Integer> lastOrdinal = new HashMap<>();

        @Override public void historyStarted() { history++; messages = -1; lastOrdinal.clear(); }
        @Override public void messagesStarted() { messages++; lastOrdinal.clear(); }

        @Override public boolean wants(String key, int ordinal) {
            lastOrdinal.put(key, ordinal);
            return false;
        }

        @Override public void message(String key, int ordinal, Object result) { throw new IllegalStateException(); }
    }

    /** Second pass: emits each winning message as soon as it is read. */
    private static final class Stream implements Pass {
        private final Scan winners;
        private final ExtractionSink sink;
        private final String chatId;
        private int history = -1, messages = -1;

        Stream(Scan winners, ExtractionSink sink, String chatId) {
            this.winners = winners;
            this.sink = sink;
            this.chatId = chatId;
        }

        @Override public void historyStarted() { history++; messages = -1; }
        @Override public void messagesStarted() { messages++; }

        @Override public boolean wants(String key, int ordinal) {
            return history == winners.history && messages == winners.messages
                && Integer.valueOf(ordinal).equals(winners.lastOrdinal.get(key));
        }

        @Override public void message(String key, int ordinal, Object result) { emit(result, sink, chatId); }
    }

    private static String describe(IOException e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (e instanceof JsonProcessingException jpe && jpe.getLocation() != null) {
            long b = jpe.getLocation().getByteOffset();
            // a double-encoded document is parsed from characters: its parser counts those
            m = jpe.getOriginalMessage() + (b >= 0 ? " at byte " + b
                : " at character " + jpe.getLocation().getCharOffset() + " of the double-encoded document");
        }
        return m.length() > 500 ? m.substring(0, 500) + "…" : m;
    }

    private static byte[] prefix(DocumentSource doc) throws IOException {
        try (InputStream in = SourceStream.open(doc)) {
            return in.readNBytes(RAW_PREFIX_BYTES);
        }
    }
}
