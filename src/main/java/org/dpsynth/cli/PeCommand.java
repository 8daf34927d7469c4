package org.dpsynth.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.run.RunDirectory;
import org.dpsynth.cluster.JobFiles;
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
  @Option(names = "--config", paramLabel = "FILE", description = "Job config (YAML or JSON): a local file, a Hadoop path (hdfs://, s3a://, file://; a bare path is on the default file system), or the name of a file shipped with --files. Without it the built-in defaults run.")
  String config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set privacy.epsilon=2 (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--out", paramLabel = "DIR", description = "Run directory: a Hadoop URI (hdfs://..., s3a://..., file:/...) or a path on the default file system (default: output.dir).")
  String out;

  @Option(names = "--json", description = "Print, as the last stdout line, one JSON object: command, run_id, status (complete, budget_exhausted or failed), epsilon, delta, outputs.")
  boolean json;

  @Override
  public Integer call() {
    return RunSummary.runAndPrint("pe", json, System.out, () -> {
      JobConfig cfg = ConfigFile.load(config, "dpsynth pe", f -> ConfigLoader.load(f, overrides));
      String runDir = out != null ? out : cfg.output().dir();
      SparkSession spark = SparkSessions.getOrCreate("dpsynth pe");
      JobFiles.shipPromptTemplates(spark, cfg.generator());
      new PrivateEvolution(spark, cfg, runDir, System.out, PhaseHalt.fromSystemProperty()).run();
      RunDirectory run = RunDirectory.at(runDir, spark.sparkContext().hadoopConfiguration());
      return RunSummary.fromManifest("pe", run, Map.of("run_dir", run.root(), "synthetic", run.synthetic(), "manifest", run.manifest(),
          "report", new org.apache.hadoop.fs.Path(run.publicDir(), "report.html")));
    });
  }
}
