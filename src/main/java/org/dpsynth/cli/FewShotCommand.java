package org.dpsynth.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.config.FewShotConfig;
import org.dpsynth.fewshot.FewShotGeneration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fewshot}: DP few-shot demonstrations (Tang et al., ICLR 2024). */
@Command(
    name = "fewshot",
    mixinStandardHelpOptions = true,
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

  @Option(names = "--out", paramLabel = "DIR", description = "Run directory (default: output.dir).")
  Path out;

  @Option(names = "--json", description = "Print, as the last stdout line, one JSON object: command, run_id, status (complete, budget_exhausted or failed), epsilon, delta, outputs.")
  boolean json;

  @Override
  public Integer call() {
    return RunSummary.runAndPrint("fewshot", json, System.out, () -> {
      FewShotConfig cfg = ConfigFile.load(config, "dpsynth fewshot", f -> FewShotConfig.load(f, overrides));
      Path runDir = out != null ? out : Path.of(cfg.output().dir());
      SparkSession spark = SparkSessions.getOrCreate("dpsynth fewshot");
      new FewShotGeneration(spark, cfg, runDir, System.out).run();
      Path pub = runDir.resolve("public");
      return RunSummary.fromManifest("fewshot", pub.resolve("manifest.json"), Map.of(
          "run_dir", runDir, "demonstrations", pub.resolve("demonstrations"), "manifest", pub.resolve("manifest.json")));
    });
  }
}
