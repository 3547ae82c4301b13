package org.pgbackfill.engine;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The log says that a hold begins, changes cause and ends, once each; not every new figure of the
 * same hold (a real standby's lag, as ReplicationLagHoldTest's run logged it, grew by a second at
 * every check: one "holding:" line a second).
 */
class HoldLogTest {
    @Test
    void aHoldIsLoggedWhenItBeginsChangesCauseAndEndsNotEachTimeItsFiguresMove() {
        HoldLog log = new HoldLog();
        List<String> lines = new ArrayList<>();
        for (String reason : Arrays.asList(null, "replication lag 2.6 s is above the limit of 2.0 s",
                "replication lag 3.6 s is above the limit of 2.0 s", "replication lag 4.6 s is above the limit of 2.0 s", "paused",
                "replication lag 9.6 s is above the limit of 2.0 s", null, null,
                "3 active sessions of other clients on the database, above the limit of 2",
                "4 active sessions of other clients on the database, above the limit of 2", null)) {
            String line = log.line(reason);
            if (line != null) lines.add(line);
        }
        assertEquals(List.of("holding: replication lag 2.6 s is above the limit of 2.0 s", "holding: paused",
            "holding: replication lag 9.6 s is above the limit of 2.0 s", "no longer held",
            "holding: 3 active sessions of other clients on the database, above the limit of 2", "no longer held"), lines);
    }
}
