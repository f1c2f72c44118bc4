package io.promptline.producer.cli;

import picocli.CommandLine.Command;

/** {@code results --follow}: new results and dead letters as they come, until Ctrl-C. */
@Command(name = "tail", description = "Follow new results and dead letters (results --follow).")
final class TailCommand extends ResultsCommand {
    @Override
    boolean following() {
        return true;
    }
}
