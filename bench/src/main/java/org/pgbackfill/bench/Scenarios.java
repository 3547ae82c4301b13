package org.pgbackfill.bench;

import org.pgbackfill.db.DatabaseUrl;

import java.io.PrintStream;
import java.sql.Connection;

/**
 * Runs the benchmarks' scenarios, each on a fresh copy of a template, and measures them: the server's CPU
 * ({@link CpuMeter}; -1 where it cannot be read from here), this JVM's CPU and the WAL of in-process ones.
 */
final class Scenarios {
    private final BenchDatabases dbs;
    private final CpuMeter cpu;

    /** Scenarios on copies made by {@code dbs}; says so on {@code out} when the server's CPU cannot be read. */
    Scenarios(BenchDatabases dbs, Connection admin, PrintStream out) {
        this.dbs = dbs;
        this.cpu = CpuMeter.server(admin);
        if (cpu == null) out.println("(the server's CPU time cannot be read from here: no CPU columns)");
    }

    /** Work on a database, with what it gives. */
    interface Work<T, D> {
        T run(D db) throws Exception;
    }

    /** What a scenario gave and the server CPU seconds it took. */
    record Measured<T>(T value, double serverCpu) { }

    /** What an in-process scenario gave, the WAL it wrote, this JVM's CPU seconds and the server's. */
    record InProcess<T>(T value, long walBytes, double clientCpu, double serverCpu) { }

    /** {@code work} on a fresh copy of {@code t} named after {@code name}; the copy is dropped afterwards. */
    <T> T onCopy(BenchDatabases.Template t, String name, Work<T, DatabaseUrl> work) throws Exception {
        DatabaseUrl copy = dbs.copy(t, name);
        T value = work.run(copy);
        dbs.release(copy);
        return value;
    }

    /** {@code work} (e.g. a {@link PgbackfillProcess} run) and the server CPU it took, once its connections are closed. */
    <T> Measured<T> measured(Work<T, Void> work) throws Exception {
        double cpu0 = serverSeconds();
        T value = work.run(null);
        return new Measured<>(value, serverSecondsSince(cpu0));
    }

    /**
     * {@code work} in this JVM on one connection to {@code db}: the WAL it wrote, this JVM's CPU and the server's;
     * {@code then} runs on that connection after the WAL position is read (not counted in the WAL).
     */
    <T> InProcess<T> inProcess(DatabaseUrl db, Work<T, Connection> work, Work<Void, Connection> then) throws Exception {
        double cpu0 = serverSeconds();
        double client0 = CpuMeter.processSeconds(ProcessHandle.current().pid());
        T value;
        long wal;
        try (Connection c = BenchDatabases.connect(db)) {
            long wal0 = BenchDatabases.walPosition(c);
            value = work.run(c);
            wal = BenchDatabases.walPosition(c) - wal0;
            then.run(c);
        }
        double client = CpuMeter.processSeconds(ProcessHandle.current().pid()) - client0;
        return new InProcess<>(value, wal, client, serverSecondsSince(cpu0));
    }

    private double serverSeconds() { return cpu == null ? 0 : cpu.serverSeconds(); }

    /** Server CPU seconds since {@code before} (backends that exited), once the scenario's connections are closed; -1 if unknown. */
    private double serverSecondsSince(double before) throws InterruptedException {
        if (cpu == null) return -1;
        Thread.sleep(300);   // the backends of the closed connections exit and are reaped
        return cpu.serverSeconds() - before;
    }
}
