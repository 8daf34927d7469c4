package org.dpsynth.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.pe.PrivateEvolution;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pe}: Private Evolution with user-level DP. */
@Command(
    name = "pe",
    mixinStandardHelpOptions = true,
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {Main.EXIT_OK, Main.EXIT_ERROR, Main.EXIT_USAGE, Main.EXIT_BUDGET},
    description = {
      "Private Evolution: make a DP synthetic corpus from the private corpus with only inference",
      "access to a generator and an embedder. Re-running the same command on the same --out",
      "directory resumes after the last complete iteration."
    })
public final class PeCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "Job config (YAML or JSON). Without it the built-in defaults run.")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set privacy.epsilon=2 (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--out", paramLabel = "DIR", description = "Run directory: a Hadoop URI (hdfs://..., s3a://..., file:/...) or a path on the default file system (default: output.dir).")
  String out;

  @Override
  public Integer call() {
    JobConfig cfg = ConfigLoader.load(config, overrides);
    String runDir = out != null ? out : cfg.output().dir();
    SparkSession spark = SparkSessions.getOrCreate("dpsynth pe");
    new PrivateEvolution(spark, cfg, runDir, System.out, PhaseHalt.fromSystemProperty()).run();
    return 0;
  }
}
