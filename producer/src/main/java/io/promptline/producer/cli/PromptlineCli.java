package io.promptline.producer.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code promptline} command: publish prompts, import files and tables, follow results,
 * inspect and redrive dead letters, manage quotas, read costs.
 */
@Command(name = "promptline", mixinStandardHelpOptions = true, versionProvider = PromptlineCli.Version.class,
        scope = CommandLine.ScopeType.INHERIT, // -h/--help and -V/--version on every command and sub-command
        description = {"Promptline: a Kafka-native pipeline for LLM requests.", ""},
        subcommands = {SubmitCommand.class, ImportCommand.class, ResultsCommand.class, TailCommand.class, DlqCommand.class,
                QuotaCommand.class, CostsCommand.class, BatchesCommand.class, TopicsCommand.class, AclsCommand.class, DoctorCommand.class,
                CommandLine.HelpCommand.class},
        footer = {"", "Connection: --bootstrap-servers, --schema-registry and --topics-base on every command, or the",
                "environment variables PROMPTLINE_BOOTSTRAP_SERVERS, PROMPTLINE_SCHEMA_REGISTRY_URL, PROMPTLINE_TOPICS_BASE.",
                "Examples:",
                "  promptline submit --tenant acme --priority urgent --model gpt-4.1 \"Summarise: ...\"",
                "  promptline import prompts.jsonl --tenant acme --priority batch --rate 500",
                "  promptline dlq list --category RATE_LIMIT",
                "  promptline quota set acme --tier normal --requests-per-minute 600"})
public final class PromptlineCli {
    private PromptlineCli() {
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line; returns the exit code (0 ok, 1 failed, 2 bad usage). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(PromptlineCli.class);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("promptline " + cmd.getCommandName() + ": " + Errors.describe(e));
            return 1;
        });
        cli.setParameterExceptionHandler((e, parsed) -> {
            // What is wrong, the command's usage, and where more help is (as GNU tools do)
            CommandLine cmd = e.getCommandLine();
            cmd.getErr().println(e.getMessage());
            CommandLine.UnmatchedArgumentException.printSuggestions(e, cmd.getErr());
            cmd.usage(cmd.getErr());
            cmd.getErr().println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
            return cmd.getCommandSpec().exitCodeOnInvalidInput();
        });
        return cli.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = PromptlineCli.class.getPackage().getImplementationVersion();
            return new String[]{"promptline " + (v == null ? "development build" : v)};
        }
    }
}
