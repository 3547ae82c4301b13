package org.pgbackfill.extract;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;

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
        DocumentShape.Opener opener = () -> PythonJson.parser(factory, SourceStream.open(doc));
        DocumentShape shape = DocumentShape.of(opener);
        boolean decoded = shape == DocumentShape.STRING;
        if (decoded) {
            DocumentShape.TextOpener text = () -> new JsonStringDecoder(new BufferedInputStream(SourceStream.open(doc), 1 << 16));
            opener = () -> PythonJson.innerParser(factory, text.open());
            shape = DocumentShape.ofInner(text, opener);
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

    private void extractObject(DocumentShape.Opener opener, String chatId, String userId, DocumentSource doc, ExtractionSink sink, boolean slice)
            throws IOException {
        if (slice) reader.sliceFrom(doc.array(), doc.offset());
        if (doc.length() <= bufferedLimit) {
            ExtractionPass.Buffered pass = new ExtractionPass.Buffered();
            walk(opener, chatId, userId, pass, slice ? doc : null);
            pass.emit(sink, chatId);
        } else {
            ExtractionPass.Scan scan = new ExtractionPass.Scan();
            walk(opener, chatId, userId, scan, slice ? doc : null);
            walk(opener, chatId, userId, new ExtractionPass.Stream(scan, sink, chatId), slice ? doc : null);
        }
    }

    /** Walks the document; {@code sliced} non-null: parse its in-memory bytes so messages can be sliced from them. */
    private void walk(DocumentShape.Opener opener, String chatId, String userId, ExtractionPass pass, DocumentSource sliced) throws IOException {
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

    private void walkHistory(JsonParser p, String chatId, String userId, ExtractionPass pass) throws IOException {
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

    private void walkMessages(JsonParser p, String chatId, String userId, ExtractionPass pass) throws IOException {
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
