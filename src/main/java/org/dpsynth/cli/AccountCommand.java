package org.dpsynth.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.dpsynth.privacy.GaussianAccountant;
import org.dpsynth.privacy.PrivacyBudget;
import org.dpsynth.run.Ledgers;
import org.dpsynth.run.Storage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code account}: privacy accounting without Spark. */
@Command(
    name = "account",
    mixinStandardHelpOptions = true,
    description = "Privacy accounting: epsilon of composed Gaussian releases, sigma calibration, ledger totals.",
    subcommands = {AccountCommand.Gaussian.class, PoissonGaussianCommand.class, AccountCommand.Ledger.class})
public final class AccountCommand implements Runnable {
  private static final ObjectMapper JSON = new ObjectMapper();

  @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** {@code account gaussian}: T Gaussian releases of sensitivity C, composed exactly as mu-GDP. */
  @Command(
      name = "gaussian",
      mixinStandardHelpOptions = true,
      description = {
        "Epsilon of T Gaussian releases with noise standard deviation SIGMA and L2 sensitivity C,",
        "composed exactly (mu-GDP, mu = sqrt(T) * C / SIGMA); or, with --epsilon, the smallest",
        "SIGMA that keeps epsilon at or under the target."
      })
  static final class Gaussian implements Callable<Integer> {
    @Mixin AccountingOptions options;

    @Option(names = "--steps", defaultValue = "1", description = "Number of releases T (default: ${DEFAULT-VALUE}).") long steps;
    @Option(names = "--sensitivity", defaultValue = "1", description = "L2 sensitivity C of each release (default: ${DEFAULT-VALUE}).") double sensitivity;

    @Override
    public Integer call() throws Exception {
      if (!(sensitivity > 0) || !Double.isFinite(sensitivity)) {
        throw new IllegalArgumentException("--sensitivity must be a finite number > 0, got " + sensitivity);
      }
      double delta = options.delta;
      Double given = options.givenSigma();
      double sigma = given != null ? given : GaussianAccountant.calibrateNoiseMultiplier(options.given.epsilon, delta, steps) * sensitivity;
      List<GaussianAccountant.GaussianRelease> releases = List.of(new GaussianAccountant.GaussianRelease(sigma, sensitivity, steps));
      double epsilon = GaussianAccountant.epsilon(releases, delta);
      double mu = GaussianAccountant.mu(releases);
      options.print(String.format("epsilon = %.6g  (delta = %.3g, sigma = %.6g, steps = %d, sensitivity = %.6g, mu-GDP = %.6g)",
          epsilon, delta, sigma, steps, sensitivity, mu),
          "mechanism", "gaussian", "epsilon", epsilon, "delta", delta, "sigma", sigma, "steps", steps, "sensitivity", sensitivity, "mu", mu);
      return 0;
    }
  }

  /** {@code account ledger}: total epsilon of every release recorded in a privacy ledger. */
  @Command(
      name = "ledger",
      mixinStandardHelpOptions = true,
      description = "Total epsilon of all releases recorded in a dataset's privacy ledger.")
  static final class Ledger implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "LEDGER", description = "The ledger: a local .jsonl file (e.g. runs/privacy-ledgers/fortunes-private.jsonl), "
        + "a ledger directory on HDFS (hdfs://...) or a JDBC URL (jdbc:postgresql://host/db).")
    String path;

    @Option(names = "--delta", required = true, description = "Delta at which to report epsilon.")
    double delta;

    @Option(names = "--dataset", description = "Only releases on this dataset.")
    String dataset;

    @Option(names = "--json", description = "Print one JSON object.")
    boolean json;

    @Option(names = "--ledger-user", description = "Database user of a jdbc: ledger.")
    String user;

    @Option(names = "--ledger-password-env", paramLabel = "NAME", description = "Environment variable holding the password of a jdbc: ledger.")
    String passwordEnv;

    @Override
    public Integer call() throws Exception {
      org.apache.hadoop.conf.Configuration conf = new org.apache.hadoop.conf.Configuration();
      if (!path.startsWith("jdbc:") && !Storage.exists(Storage.qualify(path, conf), conf)) {
        throw new IllegalArgumentException("ledger not found: " + path);
      }
      var ledger = path.startsWith("jdbc:") ? Ledgers.jdbc(path, user, passwordEnv) : Ledgers.open(path, conf);
      var entries = ledger.entries().stream()
          .filter(e -> dataset == null || dataset.equals(e.dataset()))
          .toList();
      double epsilon = PrivacyBudget.epsilon(entries, delta);
      if (json) {
        ObjectNode o = JSON.createObjectNode();
        o.put("epsilon", epsilon);
        o.put("delta", delta);
        o.put("releases", entries.size());
        if (dataset != null) {
          o.put("dataset", dataset);
        }
        System.out.println(JSON.writeValueAsString(o));
      } else {
        System.out.printf("%d releases%s: epsilon = %.6g at delta = %.3g%n", entries.size(),
            dataset == null ? "" : " on dataset " + dataset, epsilon, delta);
      }
      return 0;
    }
  }
}
