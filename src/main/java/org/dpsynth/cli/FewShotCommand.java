package org.dpsynth.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.run.RunDirectory;
import org.dpsynth.config.FewShotConfig;
import org.dpsynth.fewshot.FewShotGeneration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fewshot}: DP few-shot demonstrations (Tang et al., ICLR 2024). */
@Command(
    name = "fewshot",
    mixinStandardHelpOptions = true,
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {Main.EXIT_OK, Main.EXIT_ERROR, Main.EXIT_USAGE, Main.EXIT_BUDGET},
    description = {
      "DP few-shot generation: write in-context demonstrations per label, token by token, from",
      "noised next-token distributions of prompts holding Poisson-sampled private examples.",
      "Re-running on the same --out resumes (a complete run is not re-run or re-charged)."
    })
public final class FewShotCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "Job config (YAML or JSON): a local file, a Hadoop path (hdfs://, s3a://, file://; a bare path is on the default file system), or the name of a file shipped with --files. Without it the built-in defaults run.")
  String config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--out", paramLabel = "DIR", description = "Run directory: a Hadoop URI (hdfs://..., s3a://..., file:/...) or a path on the default file system (default: output.dir).")
  String out;

  @Option(names = "--json", description = "Print, as the last stdout line, one JSON object: command, run_id, status (complete, budget_exhausted or failed), epsilon, delta, outputs.")
  boolean json;

  @Override
  public Integer call() {
    return RunSummary.runAndPrint("fewshot", json, System.out, () -> {
      FewShotConfig cfg = ConfigFile.load(config, "dpsynth fewshot", f -> FewShotConfig.load(f, overrides));
      String runDir = out != null ? out : cfg.output().dir();
      SparkSession spark = SparkSessions.getOrCreate("dpsynth fewshot");
      new FewShotGeneration(spark, cfg, runDir, System.out, PhaseHalt.fromSystemProperty()).run();
      RunDirectory run = RunDirectory.at(runDir, spark.sparkContext().hadoopConfiguration());
      return RunSummary.fromManifest("fewshot", run, Map.of("run_dir", run.root(),
          "demonstrations", new org.apache.hadoop.fs.Path(run.publicDir(), "demonstrations"), "manifest", run.manifest()));
    });
  }
}
