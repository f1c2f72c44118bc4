package io.promptline.ops.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** ops/run-local.sh itself: its help comes before any build (here, with neither Java nor Maven on the PATH). */
class RunLocalScriptTest {
    private static final Path ROOT = Path.of("../..").toAbsolutePath().normalize();

    @TempDir
    Path bin;

    @Test
    void helpIsPrintedBeforeAnythingIsBuiltOrChecked() throws Exception {
        for (String tool : new String[]{"cat", "dirname"}) {
            Files.createSymbolicLink(bin.resolve(tool), Path.of(which(tool)));
        }
        for (String flag : new String[]{"--help", "-h"}) {
            ProcessBuilder pb = new ProcessBuilder("/bin/bash", ROOT.resolve("ops/run-local.sh").toString(), "--requests", "5", flag)
                    .directory(bin.toFile()).redirectErrorStream(true);
            pb.environment().put("PATH", bin.toString());
            Process p = pb.start();
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).isEqualTo(LocalStackSettings.USAGE).contains("--in-flight C", "--latency SPEC", "--tenant-limit", "--import-rows N");
            assertThat(Files.exists(ROOT.resolve(".localstack/build.log")) && Files.getLastModifiedTime(ROOT.resolve(".localstack/build.log"))
                    .toMillis() > System.currentTimeMillis() - 5_000).as("nothing built").isFalse();
        }
    }

    private static String which(String tool) {
        for (String dir : new String[]{"/usr/bin", "/bin"}) {
            if (Files.isExecutable(Path.of(dir, tool))) return dir + "/" + tool;
        }
        throw new IllegalStateException(tool + " not found in /usr/bin or /bin");
    }
}
