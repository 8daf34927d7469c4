package org.dpsynth.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.run.RunDirectory;
import org.dpsynth.config.DpftConfig;
import org.dpsynth.dpft.DpFineTuning;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code dpft}: DP fine-tuning (user-level DP-SGD) of a small language model, then sampling. */
@Command(
    name = "dpft",
    mixinStandardHelpOptions = true,
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {Main.EXIT_OK, Main.EXIT_ERROR, Main.EXIT_USAGE, Main.EXIT_BUDGET},
    description = {
      "DP fine-tuning then sampling (Yue et al. 2023): fine-tune the public pretrained language model",
      "on the private corpus with user-level DP-SGD on Spark (Poisson-sampled users, per-user clipping,",
      "secure discrete Gaussian noise, RDP accounting), then sample synthetic texts per label.",
      "Re-running on the same --out directory resumes after the last checkpoint."
    })
public final class DpftCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "Job config (YAML or JSON): a local file, a Hadoop path (hdfs://, s3a://, file://; a bare path is on the default file system), or the name of a file shipped with --files. Without it the built-in defaults run.")
  String config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set dpft.steps=20 (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--out", paramLabel = "DIR", description = "Run directory: a Hadoop URI (hdfs://..., s3a://..., file:/...) or a path on the default file system (default: output.dir).")
  String out;

  @Option(names = "--json", description = "Print, as the last stdout line, one JSON object: command, run_id, status (complete, budget_exhausted or failed), epsilon, delta, outputs.")
  boolean json;

  @Override
  public Integer call() {
    return RunSummary.runAndPrint("dpft", json, System.out, () -> {
      DpftConfig cfg = ConfigFile.load(config, "dpsynth dpft", f -> DpftConfig.load(f, overrides));
      String runDir = out != null ? out : cfg.output().dir();
      SparkSession spark = SparkSessions.getOrCreate("dpsynth dpft");
      new DpFineTuning(spark, cfg, runDir, System.out, PhaseHalt.fromSystemProperty()).run();
      RunDirectory run = RunDirectory.at(runDir, spark.sparkContext().hadoopConfiguration());
      return RunSummary.fromManifest("dpft", run, Map.of("run_dir", run.root(), "synthetic", run.synthetic(), "manifest", run.manifest()));
    });
  }
}
