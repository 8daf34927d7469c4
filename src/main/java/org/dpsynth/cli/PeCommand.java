package org.dpsynth.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
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

  @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: output.dir from the config).")
  Path out;

  @Option(names = "--json", description = "Print, as the last stdout line, one JSON object: command, run_id, status (complete, budget_exhausted or failed), epsilon, delta, outputs.")
  boolean json;

  @Override
  public Integer call() {
    return RunSummary.runAndPrint("pe", json, System.out, () -> {
      JobConfig cfg = ConfigFile.load(config, "dpsynth pe", f -> ConfigLoader.load(f, overrides));
      Path runDir = out != null ? out : Path.of(cfg.output().dir());
      SparkSession spark = SparkSessions.getOrCreate("dpsynth pe");
      JobFiles.shipPromptTemplates(spark, cfg.generator());
      new PrivateEvolution(spark, cfg, runDir, System.out, PhaseHalt.fromSystemProperty()).run();
      Path pub = runDir.resolve("public");
      return RunSummary.fromManifest("pe", pub.resolve("manifest.json"), Map.of(
          "run_dir", runDir, "synthetic", pub.resolve("synthetic"), "manifest", pub.resolve("manifest.json"),
          "report", pub.resolve("report.html")));
    });
  }
}
