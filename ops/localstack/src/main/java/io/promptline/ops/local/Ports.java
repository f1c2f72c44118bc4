package io.promptline.ops.local;

import java.io.IOException;
import java.net.ServerSocket;

/** Free local ports for the stack's servers (a broker needs two in a row: its listener and its controller). */
public final class Ports {
    private Ports() {
    }

    public static int free() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    public static int freePair() throws IOException {
        for (int i = 0; i < 50; i++) {
            int p = free();
            try (ServerSocket next = new ServerSocket(p + 1)) {
                return p;
            } catch (IOException taken) {
                // try another
            }
        }
        throw new IllegalStateException("no two free ports in a row");
    }
}
