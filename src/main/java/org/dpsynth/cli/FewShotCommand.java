package org.dpsynth.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {Main.EXIT_OK, Main.EXIT_ERROR, Main.EXIT_USAGE, Main.EXIT_BUDGET},
    description = {
      "DP few-shot generation: write in-context demonstrations per label, token by token, from",
      "noised next-token distributions of prompts holding Poisson-sampled private examples.",
      "Re-running on the same --out resumes (a complete run is not re-run or re-charged)."
    })
public final class FewShotCommand implements Callable<Integer> {
  @Option(names = "--config", paramLabel = "FILE", description = "Few-shot config (YAML or JSON).")
  Path config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key (repeatable).")
  List<String> overrides = new ArrayList<>();

  @Option(names = "--out", paramLabel = "DIR", description = "Run directory: a Hadoop URI (hdfs://..., s3a://..., file:/...) or a path on the default file system (default: output.dir).")
  String out;

  @Override
  public Integer call() {
    FewShotConfig cfg = FewShotConfig.load(config, overrides);
    String runDir = out != null ? out : cfg.output().dir();
    SparkSession spark = SparkSessions.getOrCreate("dpsynth fewshot");
    new FewShotGeneration(spark, cfg, runDir, System.out, PhaseHalt.fromSystemProperty()).run();
    return 0;
  }
}
