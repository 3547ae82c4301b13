package org.pgbackfill.engine;

/**
 * This process, as named in the range leases and as every one of its connections'
 * application_name: a lease whose holder has no session left is free at once, without waiting
 * for it to expire.
 */
final class Owner {
    private Owner() { }

    static String name() {
        String host;
        try {
            host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            host = "host";
        }
        String tail = ":" + ProcessHandle.current().pid() + ":" + Long.toHexString(new java.util.Random().nextLong() & 0xffffff);
        String head = "pgbackfill:" + host;
        return head.substring(0, Math.min(head.length(), 63 - tail.length())) + tail;   // application_name holds 63 bytes
    }
}
