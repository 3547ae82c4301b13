package org.pgbackfill.path;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bundled revision graph loads and is consistent; broken data is refused with a reason. */
class RevisionGraphTest {
    private final RevisionGraph graph = RevisionGraph.bundled();

    @Test
    void theBundledGraphIsUpstreamsUpTo0110() {
        assertEquals(55, graph.revisions().size());
        assertEquals("7e5b5dc7342b", graph.root().id());
        assertEquals("f0bd01a18a3d", graph.head().id());
        assertEquals("0.3.8", graph.releases().get(0).version());
        assertEquals("0.11.0", graph.newestRelease().version());
        assertEquals("2026-07-27", graph.newestRelease().date());
        assertEquals(129, graph.releases().size());
        // upstream's graph is one straight line: each revision revises the one before
        List<Revision> revs = graph.revisions();
        assertEquals(List.of(), revs.get(0).downRevisions());
        for (int i = 1; i < revs.size(); i++) assertEquals(List.of(revs.get(i - 1).id()), revs.get(i).downRevisions(), revs.get(i).id());
        // every revision has its first release and a title
        for (Revision r : revs) {
            assertTrue(r.release().isPresent(), r.id());
            assertTrue(!r.title().isBlank(), r.id());
        }
    }

    @Test
    void theJobsRevisionsAreWhereTheJobsSayTheyAre() {
        Revision chatMessage = graph.revision("8452d01d26d7").orElseThrow();
        assertEquals(List.of("374d2f66af06"), chatMessage.downRevisions());
        assertEquals("Add chat_message table", chatMessage.title());
        assertEquals("0.8.0", chatMessage.firstRelease());
        Revision current = graph.revision("9a1b2c3d4e5f").orElseThrow();
        assertEquals(List.of("856c5b02fb54"), current.downRevisions());
        assertEquals("add current_message_id to chat", current.title());
        assertEquals("0.11.0", current.firstRelease());
        assertEquals(List.of("42e2978c7933"), graph.revision("856c5b02fb54").orElseThrow().downRevisions());
        for (BackfillJob job : BackfillJob.values()) {
            assertEquals(List.of(job.startRevision()), graph.revision(job.stampRevision()).orElseThrow().downRevisions(), job.name());
        }
    }

    @Test
    void releasesEndWhereUpstreamsDid() {
        assertEquals("c440947495f3", graph.release("0.7.2").orElseThrow().headRevision());
        assertEquals("a1b2c3d4e5f6", graph.release("0.8.0").orElseThrow().headRevision());
        assertEquals("b2c3d4e5f6a7", graph.release("0.8.12").orElseThrow().headRevision());
        assertEquals("461111b60977", graph.release("0.9.6").orElseThrow().headRevision());
        assertEquals("42e2978c7933", graph.release("0.10.2").orElseThrow().headRevision());
        assertEquals("f0bd01a18a3d", graph.release("v0.11.0").orElseThrow().headRevision());
        assertTrue(graph.release("0.12.0").isEmpty());
        assertTrue(graph.release("0.3.7").isEmpty(), "before Alembic");
    }

    @Test
    void versionsCompareNumerically() {
        assertTrue(RevisionGraph.compareVersions("0.9.6", "0.10.0") < 0);
        assertTrue(RevisionGraph.compareVersions("0.10.2", "0.10.10") < 0);
        assertEquals(0, RevisionGraph.compareVersions("0.11", "0.11.0"));
    }

    private static final String REVS = "revision\tdown_revision\tfirst_release\ttitle";
    private static final String RELS = "release\tdate\thead_revision";

    private static IllegalArgumentException refused(List<String> revisions, List<String> releases) {
        return assertThrows(IllegalArgumentException.class, () -> RevisionGraph.parse(revisions, releases));
    }

    @Test
    void brokenGraphsAreRefused() {
        List<String> oneRelease = List.of(RELS, "1.0\t\tb");
        assertTrue(refused(List.of(REVS, "a\t\t1.0\tA", "b\ta\t1.0\tB", "c\ta\t1.0\tC"), oneRelease).getMessage().contains("2 heads"));
        assertTrue(refused(List.of(REVS, "a\t\t1.0\tA", "b\tx\t1.0\tB"), oneRelease).getMessage().contains("revises x"));
        assertTrue(refused(List.of(REVS, "a\tb\t1.0\tA", "b\ta\t1.0\tB"), oneRelease).getMessage().contains("cycle"));
        assertTrue(refused(List.of(REVS, "r\t\t1.0\tR", "a\tr,b\t1.0\tA", "b\ta\t1.0\tB"), oneRelease).getMessage().contains("cycle"));
        assertTrue(refused(List.of(REVS, "a\t\t1.0\tA", "a\t\t1.0\tA"), oneRelease).getMessage().contains("twice"));
        assertTrue(refused(List.of(REVS, "a\t\t1.0\tA", "b\ta\t1.0"), oneRelease).getMessage().contains("fields"));
        assertTrue(refused(List.of("a\t\t1.0\tA"), oneRelease).getMessage().contains("header"));
    }

    @Test
    void inconsistentReleasesAreRefused() {
        List<String> revs = List.of(REVS, "a\t\t1.0\tA", "b\ta\t2.0\tB");
        RevisionGraph ok = RevisionGraph.parse(revs, List.of(RELS, "1.0\t\ta", "2.0\t\tb"));
        assertEquals("b", ok.head().id());
        assertTrue(refused(revs, List.of(RELS, "1.0\t\ta", "2.0\t\tz")).getMessage().contains("not listed"));
        assertTrue(refused(revs, List.of(RELS, "2.0\t\ta", "1.0\t\tb")).getMessage().contains("listed after"));
        assertTrue(refused(revs, List.of(RELS, "1.0\t\tb", "2.0\t\ta")).getMessage().contains("does not build on"));
        assertTrue(refused(revs, List.of(RELS, "1.0\t\ta")).getMessage().contains("graph's head"));
        // b says 2.0, but 1.0 already ends at b
        assertTrue(refused(revs, List.of(RELS, "1.0\t\tb", "2.0\t\tb")).getMessage().contains("first in 2.0"));
        // an unknown first release stays empty and is accepted
        assertEquals(null, RevisionGraph.parse(List.of(REVS, "a\t\t\tA", "b\ta\t2.0\tB"), List.of(RELS, "2.0\t\tb"))
            .revision("a").orElseThrow().firstRelease());
    }
}
