package io.promptline.ops.local;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Free local ports for the stack's servers (a broker needs two in a row: its listener and its controller).
 *
 * <p>A port is checked free here and bound later by another process (a broker JVM, PostgreSQL), so it
 * is taken from below the kernel's ephemeral range: there no outgoing connection (a Kafka client's, a
 * JDBC pool's) can take it in between, as one did with ports handed out by {@code new ServerSocket(0)}
 * (a three-node cluster's broker then failed to bind and exited). Ports handed out once in this JVM are
 * not handed out again.
 */
public final class Ports {
    private static final int LOWEST = 10_000;
    private static final Set<Integer> HANDED_OUT = ConcurrentHashMap.newKeySet();

    private Ports() {
    }

    public static int free() throws IOException {
        return pick(1);
    }

    /** A port {@code p} such that {@code p} and {@code p + 1} are both free. */
    public static int freePair() throws IOException {
        return pick(2);
    }

    private static int pick(int run) throws IOException {
        int below = ephemeralLow();
        for (int attempt = 0; attempt < 500; attempt++) {
            int p = ThreadLocalRandom.current().nextInt(LOWEST, below - run);
            if (allFree(p, run) && claim(p, run)) return p;
        }
        throw new IOException("no " + run + " free port(s) in a row in [" + LOWEST + ", " + below + ")");
    }

    private static boolean claim(int p, int run) {
        for (int i = 0; i < run; i++) {
            if (!HANDED_OUT.add(p + i)) {
                for (int j = 0; j < i; j++) HANDED_OUT.remove(p + j);
                return false;
            }
        }
        return true;
    }

    private static boolean allFree(int p, int run) {
        for (int i = 0; i < run; i++) {
            try (ServerSocket ignored = new ServerSocket(p + i, 1, InetAddress.getByName("0.0.0.0"))) {
                // bindable: free now
            } catch (IOException taken) {
                return false;
            }
        }
        return true;
    }

    /** The kernel's lowest ephemeral port (Linux), 32768 where it cannot be read. */
    static int ephemeralLow() {
        try {
            String range = Files.readString(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).trim();
            int low = Integer.parseInt(range.split("\\s+")[0]);
            return low > LOWEST + 1_000 ? low : 32_768;
        } catch (IOException | RuntimeException unreadable) {
            return 32_768;
        }
    }
}
