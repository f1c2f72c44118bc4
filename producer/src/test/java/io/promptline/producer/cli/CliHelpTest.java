package io.promptline.producer.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every command and sub-command answers -h/--help and -V/--version without a broker, and a wrong
 * option prints what is wrong, the usage, and where more help is.
 */
class CliHelpTest {
    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = PromptlineCli.run(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    /** Every command's path, e.g. [dlq, redrive], from the command tree itself (a new command is covered without a change here). */
    private static List<List<String>> commands() {
        List<List<String>> out = new ArrayList<>();
        walk(new CommandLine(PromptlineCli.class), new ArrayList<>(), out);
        return out;
    }

    private static void walk(CommandLine cmd, List<String> path, List<List<String>> out) {
        for (var sub : cmd.getSubcommands().entrySet()) {
            if (sub.getKey().equals("help")) continue;
            List<String> p = new ArrayList<>(path);
            p.add(sub.getKey());
            out.add(p);
            walk(sub.getValue(), p, out);
        }
    }

    @Test
    void shouldAnswerHelpAndVersionOnEveryCommand() {
        List<List<String>> commands = commands();
        assertThat(commands).extracting(p -> String.join(" ", p))
                .contains("submit", "import", "results", "tail", "dlq", "dlq list", "dlq show", "dlq redrive", "quota", "quota get",
                        "quota set", "costs", "costs reprice", "batches", "batches list", "topics", "topics create", "acls");
        for (List<String> path : commands) {
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(path);
                args.add(flag);
                Run r = run(args.toArray(String[]::new));
                assertThat(r.code()).as("%s exit code", args).isZero();
                assertThat(r.out()).as("%s", args).startsWith("Usage: promptline " + String.join(" ", path)).contains("-h, --help");
            }
            List<String> args = new ArrayList<>(path);
            args.add("--version");
            Run v = run(args.toArray(String[]::new));
            assertThat(v.code()).as("%s exit code", args).isZero();
            assertThat(v.out()).as("%s", args).startsWith("promptline ");
        }
    }

    @Test
    void shouldNameAWrongOptionShowTheUsageAndPointToHelp() {
        Run r = run("results", "--tenant-id", "acme");
        assertThat(r.code()).isEqualTo(2);
        assertThat(r.err()).contains("Unknown options: '--tenant-id', 'acme'", "Possible solutions: --tenant", "Usage: promptline results",
                "Try 'promptline results --help' for more information.");
        assertThat(r.out()).isEmpty();

        Run nested = run("dlq", "redrive", "--bogus");
        assertThat(nested.code()).isEqualTo(2);
        assertThat(nested.err()).contains("Unknown option: '--bogus'", "Try 'promptline dlq redrive --help' for more information.");
    }
}
