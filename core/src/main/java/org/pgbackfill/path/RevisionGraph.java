package org.pgbackfill.path;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Open WebUI's Alembic revision graph and its releases, as the data files
 * {@value #REVISIONS_RESOURCE} and {@value #RELEASES_RESOURCE} give them (their header comments
 * say where they come from). Loading validates them: every revision once, every down revision
 * known, no cycle, one head, releases in increasing order whose heads are known and never go
 * backwards, and each revision's first release consistent with the releases' heads.
 */
public final class RevisionGraph {
    public static final String REVISIONS_RESOURCE = "/org/pgbackfill/path/openwebui-revisions.tsv";
    public static final String RELEASES_RESOURCE = "/org/pgbackfill/path/openwebui-releases.tsv";

    private static volatile RevisionGraph bundled;

    private final Map<String, Revision> byId;        // in topological order, root first
    private final Map<String, Integer> position;
    private final List<Revision> ordered;
    private final Revision head;
    private final List<Release> releases;
    private final Map<String, Release> releaseByVersion;

    private RevisionGraph(List<Revision> revisions, List<Release> releases) {
        Map<String, Revision> all = new LinkedHashMap<>();
        for (Revision r : revisions) {
            if (r.id().isEmpty()) throw new IllegalArgumentException("a revision without an id");
            if (all.put(r.id(), r) != null) throw new IllegalArgumentException("revision " + r.id() + " is listed twice");
        }
        for (Revision r : revisions) {
            for (String d : r.downRevisions()) {
                if (!all.containsKey(d)) throw new IllegalArgumentException("revision " + r.id() + " revises " + d + ", which is not listed");
            }
        }
        this.ordered = topological(all);
        this.byId = new LinkedHashMap<>();
        this.position = new HashMap<>();
        for (Revision r : ordered) {
            position.put(r.id(), byId.size());
            byId.put(r.id(), r);
        }
        Set<String> revised = new HashSet<>();
        for (Revision r : ordered) revised.addAll(r.downRevisions());
        List<Revision> heads = ordered.stream().filter(r -> !revised.contains(r.id())).toList();
        if (heads.size() != 1) {
            throw new IllegalArgumentException("the graph has " + heads.size() + " heads, not one: " + heads.stream().map(Revision::id).toList());
        }
        this.head = heads.get(0);
        this.releases = List.copyOf(releases);
        this.releaseByVersion = new LinkedHashMap<>();
        validateReleases();
    }

    /** The graph bundled with pgbackfill. */
    public static RevisionGraph bundled() {
        RevisionGraph g = bundled;
        if (g == null) {
            g = parse(readResource(REVISIONS_RESOURCE), readResource(RELEASES_RESOURCE));
            bundled = g;
        }
        return g;
    }

    /**
     * A graph from the two files' lines (comment lines start with #, the first other line is the
     * header, fields are tab-separated).
     */
    public static RevisionGraph parse(List<String> revisionLines, List<String> releaseLines) {
        List<Revision> revisions = new ArrayList<>();
        for (String[] f : rows(revisionLines, "revision", 4)) {
            List<String> down = f[1].isEmpty() ? List.of() : Arrays.stream(f[1].split(",")).map(String::trim).toList();
            revisions.add(new Revision(f[0], down, f[2].isEmpty() ? null : f[2], f[3]));
        }
        List<Release> releases = new ArrayList<>();
        for (String[] f : rows(releaseLines, "release", 3)) {
            releases.add(new Release(f[0], f[1].isEmpty() ? null : f[1], f[2]));
        }
        return new RevisionGraph(revisions, releases);
    }

    public Optional<Revision> revision(String id) {
        return Optional.ofNullable(id == null ? null : byId.get(id));
    }

    /** Every revision, each after the ones it revises (root first, head last). */
    public List<Revision> revisions() {
        return ordered;
    }

    public Revision root() {
        return ordered.get(0);
    }

    public Revision head() {
        return head;
    }

    /** The releases, oldest first. */
    public List<Release> releases() {
        return releases;
    }

    public Release newestRelease() {
        return releases.get(releases.size() - 1);
    }

    /** The release with this version ({@code 0.11.0}; a leading {@code v} is accepted). */
    public Optional<Release> release(String version) {
        if (version == null) return Optional.empty();
        String v = version.trim();
        if (v.startsWith("v") || v.startsWith("V")) v = v.substring(1);
        return Optional.ofNullable(releaseByVersion.get(v));
    }

    /** The revision and every revision it depends on, transitively. */
    public Set<String> ancestors(String id) {
        Set<String> seen = new HashSet<>();
        Deque<String> todo = new ArrayDeque<>(List.of(id));
        while (!todo.isEmpty()) {
            String r = todo.pop();
            if (seen.add(r)) todo.addAll(byId.get(r).downRevisions());
        }
        return seen;
    }

    /** These revisions in the order Alembic applies them (each after the ones it revises). */
    List<Revision> inOrder(Set<String> ids) {
        return ordered.stream().filter(r -> ids.contains(r.id())).toList();
    }

    private void validateReleases() {
        if (releases.isEmpty()) throw new IllegalArgumentException("no releases listed");
        Release previous = null;
        for (Release r : releases) {
            if (!byId.containsKey(r.headRevision())) {
                throw new IllegalArgumentException("release " + r.version() + " ends at revision " + r.headRevision() + ", which is not listed");
            }
            if (previous != null) {
                if (compareVersions(previous.version(), r.version()) >= 0) {
                    throw new IllegalArgumentException("release " + r.version() + " is listed after " + previous.version());
                }
                if (!ancestors(r.headRevision()).contains(previous.headRevision())) {
                    throw new IllegalArgumentException("release " + r.version() + "'s head " + r.headRevision()
                        + " does not build on " + previous.version() + "'s " + previous.headRevision());
                }
            }
            releaseByVersion.put(r.version(), r);
            previous = r;
        }
        if (!newestRelease().headRevision().equals(head.id())) {
            throw new IllegalArgumentException("the newest release " + newestRelease().version() + " ends at "
                + newestRelease().headRevision() + ", not at the graph's head " + head.id());
        }
        // a revision's first release is the first whose head has it
        for (Revision rev : ordered) {
            if (rev.firstRelease() == null) continue;
            Release first = releaseByVersion.get(rev.firstRelease());
            if (first == null) throw new IllegalArgumentException("revision " + rev.id() + " names release " + rev.firstRelease() + ", which is not listed");
            Release shipping = releases.stream().filter(r -> ancestors(r.headRevision()).contains(rev.id())).findFirst().orElse(null);
            if (shipping != first) {
                throw new IllegalArgumentException("revision " + rev.id() + " says it is first in " + rev.firstRelease() + ", but the releases' heads put it in "
                    + (shipping == null ? "none of them" : shipping.version()));
            }
        }
    }

    /** Compares dotted version numbers numerically ({@code 0.9.6 < 0.10.0}). */
    public static int compareVersions(String a, String b) {
        String[] x = a.split("\\."), y = b.split("\\.");
        for (int i = 0; i < Math.max(x.length, y.length); i++) {
            int c = Integer.compare(i < x.length ? Integer.parseInt(x[i]) : 0, i < y.length ? Integer.parseInt(y[i]) : 0);
            if (c != 0) return c;
        }
        return 0;
    }

    /** Kahn's algorithm, keeping the file's order among revisions that are ready together; throws on a cycle. */
    private static List<Revision> topological(Map<String, Revision> all) {
        Map<String, Integer> waiting = new HashMap<>();
        Map<String, List<String>> children = new HashMap<>();
        for (Revision r : all.values()) {
            waiting.put(r.id(), new LinkedHashSet<>(r.downRevisions()).size());
            for (String d : new LinkedHashSet<>(r.downRevisions())) children.computeIfAbsent(d, k -> new ArrayList<>()).add(r.id());
        }
        List<String> fileOrder = new ArrayList<>(all.keySet());
        List<Revision> out = new ArrayList<>();
        Set<String> ready = new LinkedHashSet<>();
        for (String id : fileOrder) if (waiting.get(id) == 0) ready.add(id);
        while (!ready.isEmpty()) {
            String id = ready.iterator().next();
            ready.remove(id);
            out.add(all.get(id));
            List<String> now = new ArrayList<>();
            for (String c : children.getOrDefault(id, List.of())) {
                if (waiting.merge(c, -1, Integer::sum) == 0) now.add(c);
            }
            now.sort((p, q) -> Integer.compare(fileOrder.indexOf(p), fileOrder.indexOf(q)));
            ready.addAll(now);
        }
        if (out.size() != all.size()) {
            List<String> stuck = new ArrayList<>(all.keySet());
            stuck.removeAll(out.stream().map(Revision::id).toList());
            throw new IllegalArgumentException("the revisions " + stuck + " form a cycle (or depend on one)");
        }
        return Collections.unmodifiableList(out);
    }

    private static List<String[]> rows(List<String> lines, String firstColumn, int columns) {
        List<String[]> rows = new ArrayList<>();
        boolean header = false;
        int n = 0;
        for (String line : lines) {
            n++;
            if (line.isBlank() || line.startsWith("#")) continue;
            String[] f = line.split("\t", -1);
            if (!header) {
                if (!f[0].equals(firstColumn)) throw new IllegalArgumentException("line " + n + ": expected the header, starting with '" + firstColumn + "'");
                header = true;
                continue;
            }
            if (f.length != columns) throw new IllegalArgumentException("line " + n + ": " + f.length + " fields, expected " + columns + ": " + line);
            for (int i = 0; i < f.length; i++) f[i] = f[i].trim();
            rows.add(f);
        }
        return rows;
    }

    private static List<String> readResource(String name) {
        try (InputStream in = RevisionGraph.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("resource " + name + " is missing from the build");
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
