package org.pgbackfill.path;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The steps from a revision to a release, exactly. */
class UpgradePathTest {
    private final RevisionGraph graph = RevisionGraph.bundled();

    /** 8452d01d26d7 (exclusive) to 856c5b02fb54: what Alembic runs between the two jobs. */
    private static final List<String> BETWEEN_THE_JOBS = List.of("f1e2d3c4b5a6", "a1b2c3d4e5f6", "b2c3d4e5f6a7", "a3dd5bedd151",
        "d4e5f6a7b8c9", "b7c8d9e0f1a2", "e1f2a3b4c5d6", "c1d2e3f4a5b6", "56359461a091", "4de81c2a3af1", "a0b1c2d3e4f5",
        "3c9b0ca343fd", "461111b60977", "3ff2c63645b8", "4c5ce3d2f27f", "7b3f2a9c1d4e", "42e2978c7933", "856c5b02fb54");
    /** 9a1b2c3d4e5f (exclusive) to 0.11.0's head. */
    private static final List<String> AFTER_THE_SECOND = List.of("c49178636c78", "b0018471bbbe", "55f1302ac17c", "959eaac8f909", "f0bd01a18a3d");

    /** The steps as lines: "alembic <target>: <revisions>" or "pgbackfill <job> <start>-><stamp>". */
    private static List<String> describe(UpgradePath path) {
        List<String> out = new ArrayList<>();
        for (UpgradeStep s : path.steps()) {
            if (s instanceof UpgradeStep.Alembic a) {
                assertEquals(a.target(), a.revisions().get(a.revisions().size() - 1), "an Alembic step ends at its target");
                out.add("alembic " + a.target().id() + ": " + String.join(" ", a.revisions().stream().map(Revision::id).toList()));
            } else if (s instanceof UpgradeStep.Backfill b) {
                out.add("pgbackfill " + b.job().key() + " " + b.start().id() + "->" + b.stamp().id());
            }
        }
        return out;
    }

    private static String alembic(String target, List<String> revisions) {
        return "alembic " + target + ": " + String.join(" ", revisions);
    }

    private UpgradePath plan(String from, String to) {
        return UpgradePath.plan(graph, from, to, StepEstimator.NONE);
    }

    @Test
    void fromTheFirstJobsStart() {
        UpgradePath p = plan("374d2f66af06", null);
        assertEquals(UpgradePath.Status.UPGRADE, p.status());
        assertEquals("0.11.0", p.target().version());
        assertEquals("f0bd01a18a3d", p.targetRevision().id());
        assertEquals(List.of(
            "pgbackfill chat_message 374d2f66af06->8452d01d26d7",
            alembic("856c5b02fb54", BETWEEN_THE_JOBS),
            "pgbackfill current_message_id 856c5b02fb54->9a1b2c3d4e5f",
            alembic("f0bd01a18a3d", AFTER_THE_SECOND)), describe(p));
    }

    @Test
    void fromTheSecondJobsStart() {
        assertEquals(List.of(
            "pgbackfill current_message_id 856c5b02fb54->9a1b2c3d4e5f",
            alembic("f0bd01a18a3d", AFTER_THE_SECOND)), describe(plan("856c5b02fb54", "0.11.0")));
    }

    @Test
    void fromARevisionInBetween() {
        // 0.8.12's head: the first job is behind it, the second ahead
        assertEquals(List.of(
            alembic("856c5b02fb54", BETWEEN_THE_JOBS.subList(3, BETWEEN_THE_JOBS.size())),
            "pgbackfill current_message_id 856c5b02fb54->9a1b2c3d4e5f",
            alembic("f0bd01a18a3d", AFTER_THE_SECOND)), describe(plan("b2c3d4e5f6a7", null)));
        // right after the first job's stamp
        assertEquals(List.of(
            alembic("856c5b02fb54", BETWEEN_THE_JOBS),
            "pgbackfill current_message_id 856c5b02fb54->9a1b2c3d4e5f",
            alembic("f0bd01a18a3d", AFTER_THE_SECOND)), describe(plan("8452d01d26d7", null)));
        // right after the second job's stamp: only Alembic is left
        assertEquals(List.of(alembic("f0bd01a18a3d", AFTER_THE_SECOND)), describe(plan("9a1b2c3d4e5f", null)));
    }

    @Test
    void fromBeforeTheFirstJob() {
        // 0.7.2's head
        assertEquals(List.of(
            alembic("374d2f66af06", List.of("374d2f66af06")),
            "pgbackfill chat_message 374d2f66af06->8452d01d26d7",
            alembic("856c5b02fb54", BETWEEN_THE_JOBS),
            "pgbackfill current_message_id 856c5b02fb54->9a1b2c3d4e5f",
            alembic("f0bd01a18a3d", AFTER_THE_SECOND)), describe(plan("c440947495f3", null)));
        // 0.6.41's head, to 0.9.0: the second job is not on the way
        assertEquals(List.of(
            alembic("374d2f66af06", List.of("6283dc0e4d8d", "81cc2ce44d79", "c440947495f3", "374d2f66af06")),
            "pgbackfill chat_message 374d2f66af06->8452d01d26d7",
            alembic("56359461a091", BETWEEN_THE_JOBS.subList(0, 9))), describe(plan("3e0e00844bb0", "0.9.0")));
        // from the very first revision, every one of the 54 others is run once, in order
        UpgradePath all = plan("7e5b5dc7342b", null);
        List<String> run = new ArrayList<>();
        for (UpgradeStep s : all.steps()) {
            if (s instanceof UpgradeStep.Alembic a) a.revisions().forEach(r -> run.add(r.id()));
            if (s instanceof UpgradeStep.Backfill b) run.add(b.stamp().id());
        }
        assertEquals(graph.revisions().subList(1, 55).stream().map(Revision::id).toList(), run);
    }

    @Test
    void atOrPastTheTarget() {
        UpgradePath at = plan("f0bd01a18a3d", null);
        assertEquals(UpgradePath.Status.AT_TARGET, at.status());
        assertEquals(List.of(), at.steps());
        UpgradePath past = plan("9a1b2c3d4e5f", "0.10.2");
        assertEquals(UpgradePath.Status.PAST_TARGET, past.status());
        assertEquals("42e2978c7933", past.targetRevision().id());
        assertEquals(List.of(), past.steps());
        assertEquals(UpgradePath.Status.AT_TARGET, plan("42e2978c7933", "v0.10.0").status());
    }

    @Test
    void unknownRevisionSaysWhatTheToolKnowsAndWhatToDo() {
        PathException e = assertThrows(PathException.class, () -> plan("b2f8a9c1d5e3", null));
        assertEquals(PathException.Reason.UNKNOWN_REVISION, e.reason());
        String m = e.getMessage();
        assertTrue(m.startsWith("Alembic revision 'b2f8a9c1d5e3' is not one pgbackfill knows."), m);
        assertTrue(m.contains("55 revisions, from 7e5b5dc7342b (release 0.3.8) to f0bd01a18a3d (release 0.11.0)"), m);
        assertTrue(m.contains("a fork's or a plugin's own migration (plan from the upstream revision it builds on"), m);
        assertEquals(PathException.Reason.UNKNOWN_REVISION, assertThrows(PathException.class, () -> plan(null, null)).reason());
        PathException r = assertThrows(PathException.class, () -> plan("374d2f66af06", "0.12.0"));
        assertEquals(PathException.Reason.UNKNOWN_RELEASE, r.reason());
        assertTrue(r.getMessage().contains("'0.12.0' is not one pgbackfill knows: it knows upstream's releases 0.3.8 to 0.11.0"), r.getMessage());
    }

    @Test
    void estimatesComeFromTheEstimator() {
        StepEstimator est = job -> job == BackfillJob.CHAT_MESSAGE ? Optional.of(Duration.ofSeconds(42)) : Optional.empty();
        List<UpgradeStep.Backfill> jobs = UpgradePath.plan(graph, "374d2f66af06", null, est).steps().stream()
            .filter(UpgradeStep.Backfill.class::isInstance).map(UpgradeStep.Backfill.class::cast).toList();
        assertEquals(Duration.ofSeconds(42), jobs.get(0).estimate());
        assertNull(jobs.get(1).estimate());
        assertTrue(jobs.get(1).knownEstimate().isEmpty());
    }

    private static final String REVS = "revision\tdown_revision\tfirst_release\ttitle";

    @Test
    void aMergeRevisionIsRunAfterBothOfItsBranches() {
        // a -> 374d2f66af06 -> 8452d01d26d7 -> m, and a -> side -> m
        RevisionGraph g = RevisionGraph.parse(List.of(REVS, "a\t\t1.0\tA", "374d2f66af06\ta\t1.5\tS", "side\ta\t2.0\tSide",
            "8452d01d26d7\t374d2f66af06\t1.5\tJob", "m\t8452d01d26d7,side\t2.0\tMerge"),
            List.of("release\tdate\thead_revision", "1.0\t\ta", "1.5\t\t8452d01d26d7", "2.0\t\tm"));
        UpgradePath p = UpgradePath.plan(g, "a", null, StepEstimator.NONE);
        assertEquals(List.of(alembic("374d2f66af06", List.of("374d2f66af06")), "pgbackfill chat_message 374d2f66af06->8452d01d26d7",
            alembic("m", List.of("side", "m"))), describe(p));
        PathException e = assertThrows(PathException.class, () -> UpgradePath.plan(g, "side", "1.5", StepEstimator.NONE));
        assertEquals(PathException.Reason.NOT_ON_THE_WAY, e.reason());
    }
}
