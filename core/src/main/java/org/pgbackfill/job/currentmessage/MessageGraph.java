package org.pgbackfill.job.currentmessage;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The document's messages as SPEC.md 7 step 5 sees them: in dict order, each with its key, its parent
 * and its time, nothing else (never the bodies). Built like a Python dict: a key seen again keeps its
 * first position (and its first key object: {@code 1} then {@code 1.0} stays {@code 1}) and takes the
 * later parent and time.
 */
public final class MessageGraph {
    /**
     * One message. {@code key}: a String (history.messages) or the element's id as Python holds it
     * (String, Boolean, BigInteger, Double). {@code parent}: {@link PyValues#hashKey} of parentId
     * ({@link PyValues#NONE} when missing or null, {@link PyValues.Unhashable} for a list or dict).
     * {@code time}: {@code timestamp or 0} as a Python value.
     */
    public record Node(Object key, Object parent, Object time) { }

    public static final MessageGraph EMPTY = new MessageGraph();

    private final List<Node> nodes = new ArrayList<>();
    private final Map<Object, Integer> index = new HashMap<>();

    MessageGraph() { }

    /** {@code d[key] = (parent, time)}. */
    void put(Object key, Object parent, Object time) {
        Object h = PyValues.hashKey(key);
        Integer at = index.get(h);
        if (at == null) {
            index.put(h, nodes.size());
            nodes.add(new Node(key, parent, time));
        } else {
            nodes.set(at, new Node(nodes.get(at).key(), parent, time));
        }
    }

    public int size() { return nodes.size(); }

    public boolean isEmpty() { return nodes.isEmpty(); }

    public List<Node> nodes() { return Collections.unmodifiableList(nodes); }

    /** {@code key in d} for a str key. */
    public boolean containsKey(String key) { return index.containsKey(key); }

    /** {@code h in d} for a hash key ({@link PyValues#hashKey}) that is hashable. */
    boolean containsHashKey(Object h) { return index.containsKey(h); }
}
