package org.dpsynth.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The dpsynth command line: one entry point, one subcommand per job. */
@Command(
    name = "dpsynth",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      Main.EXIT_OK, Main.EXIT_ERROR, Main.EXIT_USAGE, Main.EXIT_BUDGET
    },
    description = {
      "Differentially private synthetic text corpora on Apache Spark.",
      "",
      "Run a subcommand with --help for its options. In local mode use submit/local.sh; on a",
      "cluster use submit/cluster.sh (spark-submit)."
    },
    subcommands = {
      PeCommand.class,
      AccountCommand.class,
      ConvertCommand.class,
      EvaluateCommand.class,
      FewShotCommand.class,
      FewShotEvalCommand.class,
      PretrainCommand.class,
      DpftCommand.class,
      CommandLine.HelpCommand.class
    })
public final class Main implements Runnable {
  /** Exit code of a run refused because the dataset's budget would be exceeded (nothing was drawn). */
  public static final int BUDGET_EXHAUSTED = 3;

  static final String EXIT_OK = "0:success";
  static final String EXIT_ERROR = "1:unexpected error (a rerun on the same --out resumes)";
  static final String EXIT_USAGE = "2:bad configuration, input or command line";
  static final String EXIT_BUDGET = "3:budget exhausted: the dataset's budget.total_epsilon would be exceeded; nothing was drawn (do not retry)";

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    int code = run(args);
    System.exit(code);
  }

  /** Runs the command line and returns its exit code (tests call this instead of main). */
  public static int run(String... args) {
    CommandLine cmd = new CommandLine(new Main());
    cmd.setExecutionExceptionHandler(new Errors());
    return cmd.execute(args);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** Reports the version from the jar manifest, or "dev" when run from classes. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"dpsynth " + (v == null ? "dev" : v)};
    }
  }

  /**
   * Prints user errors (bad config, bad input) as one line without a stack trace; anything else
   * gets its type and message. Messages are written by our own code and never carry record text.
   */
  static final class Errors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, CommandLine.ParseResult parsed) {
      Throwable t = ex;
      if (t instanceof org.dpsynth.privacy.PrivacyBudget.ExceededException) {
        // Its own code: a scheduler must not retry a run the budget refuses.
        cmd.getErr().println("budget exhausted: " + t.getMessage());
        return BUDGET_EXHAUSTED;
      }
      if (t instanceof org.dpsynth.config.ConfigException
          || t instanceof IllegalArgumentException
          || t instanceof org.dpsynth.data.InputException) {
        cmd.getErr().println("error: " + t.getMessage());
        return 2;
      }
      cmd.getErr().println("error: " + t.getClass().getSimpleName() + ": " + t.getMessage());
      if (Boolean.getBoolean("dpsynth.stacktrace")) {
        t.printStackTrace(cmd.getErr());
      } else {
        cmd.getErr().println("(run with -Ddpsynth.stacktrace=true for the stack trace)");
      }
      return 1;
    }
  }
}
