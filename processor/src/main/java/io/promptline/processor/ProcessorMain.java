package io.promptline.processor;

import io.promptline.processor.config.ProcessorConfig;
import io.promptline.runtime.KafkaRefusal;
import org.apache.kafka.common.config.ConfigException;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.CountDownLatch;

/**
 * Runs a processor: {@code java -cp ... io.promptline.processor.ProcessorMain [config.properties]}.
 * Settings come from the file and PROMPTLINE_* environment variables; see {@link ProcessorConfig}.
 */
public final class ProcessorMain {
    private ProcessorMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        ProcessorConfig config;
        try {
            config = ProcessorConfig.load(args.length > 0 ? Path.of(args[0]) : null, System.getenv());
        } catch (ConfigException | IllegalArgumentException e) {
            System.err.println("promptline processor: invalid configuration: " + e.getMessage());
            System.exit(2);
            return;
        }
        // A part that cannot go on stops the process with status 1 (its orchestrator restarts it); the hook closes what runs.
        CountDownLatch stopped = new CountDownLatch(1);
        try {
            ProcessorApp app = new ProcessorApp(config, Clock.systemUTC(), why -> new Thread(() -> System.exit(1), "promptline-exit").start());
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                app.close();
                stopped.countDown();
            }, "promptline-shutdown"));
            app.start();
        } catch (RuntimeException e) {
            KafkaRefusal.exitOnStartFailure("processor", e, "prefixed " + config.applicationId(""));
            return;
        }
        stopped.await();
    }
}
