package org.pgbackfill.engine;

import com.sun.management.GarbageCollectionNotificationInfo;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * The heap this JVM used at its peak, two ways: sampled ten times a second (all that was
 * allocated, garbage included: it follows -Xmx, as G1 lets young garbage pile up before
 * collecting it), and right after each garbage collection (close to what the run really keeps).
 */
public final class HeapWatch {
    private static final AtomicLong PEAK = new AtomicLong(-1);
    private static final AtomicLong PEAK_USED = new AtomicLong();
    private static boolean installed;

    private HeapWatch() { }

    /** Starts listening to the collectors (once per JVM). */
    public static synchronized void install() {
        if (installed) return;
        installed = true;
        Thread sampler = new Thread(() -> {
            java.lang.management.MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
            while (true) {
                PEAK_USED.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "pgbackfill-heap-watch");
        sampler.setDaemon(true);
        sampler.start();
        Set<String> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
            .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName).collect(Collectors.toSet());
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (!(gc instanceof NotificationEmitter emitter)) continue;
            emitter.addNotificationListener((n, handback) -> {
                if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) return;
                GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                long used = 0;
                for (java.util.Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                    if (heapPools.contains(e.getKey())) used += e.getValue().getUsed();
                }
                PEAK.accumulateAndGet(used, Math::max);
            }, null, null);
        }
    }

    /** The most heap in use at any sample since {@link #install}, in bytes. */
    public static long peakUsedBytes() {
        return PEAK_USED.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
    }

    /** The peak heap after a collection since {@link #install}, in bytes; -1 if no collection ran. */
    public static long peakAfterGcBytes() { return PEAK.get(); }
}
