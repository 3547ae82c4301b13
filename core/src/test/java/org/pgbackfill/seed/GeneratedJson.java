package org.pgbackfill.seed;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Parsing helpers for the generator's tests: Jackson without its size limits, and a duplicate-key finder. */
final class GeneratedJson {
    static final JsonFactory FACTORY = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxStringLength(Integer.MAX_VALUE).maxNestingDepth(10_000)
            .maxNumberLength(100_000).maxNameLength(1_000_000).build())
        .build();
    static final ObjectMapper MAPPER = new ObjectMapper(FACTORY);

    private GeneratedJson() { }

    /** The document as a tree (the last of duplicate keys wins, as in Jackson's default). */
    static JsonNode tree(GeneratedChat c) {
        try {
            return MAPPER.readTree(c.buffer(), 0, c.documentLength());
        } catch (IOException e) {
            throw new AssertionError(c + " is not valid JSON: " + e.getMessage() + "\n" + head(c), e);
        }
    }

    static String head(GeneratedChat c) {
        String t = c.documentText();
        return t == null ? "SQL NULL" : t.substring(0, Math.min(t.length(), 2_000));
    }

    /**
     * Duplicate keys, each as "parent/key" where parent is the key of the enclosing object's value
     * ("" at the top); e.g. "/history" for a repeated top-level history, "messages/&lt;id&gt;".
     */
    static List<String> duplicateKeys(byte[] doc, int length) throws IOException {
        List<String> dups = new ArrayList<>();
        Deque<Set<String>> names = new ArrayDeque<>();
        Deque<String> owners = new ArrayDeque<>();
        String lastName = "";
        try (JsonParser p = FACTORY.createParser(doc, 0, length)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                switch (t) {
                    case START_OBJECT -> { names.push(new HashSet<>()); owners.push(lastName); lastName = ""; }
                    case END_OBJECT -> { names.pop(); owners.pop(); lastName = ""; }
                    case START_ARRAY -> { names.push(new HashSet<>()); owners.push(lastName); lastName = ""; }
                    case END_ARRAY -> { names.pop(); owners.pop(); lastName = ""; }
                    case FIELD_NAME -> {
                        lastName = p.currentName();
                        if (!names.peek().add(lastName)) dups.add(owners.peek() + "/" + lastName);
                    }
                    default -> { }
                }
            }
        }
        return dups;
    }
}
