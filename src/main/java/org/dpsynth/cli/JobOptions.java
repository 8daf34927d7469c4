package org.dpsynth.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;
import java.util.function.Function;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.config.MethodConfig;
import org.dpsynth.run.RunDirectory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * What the three privacy-run commands ({@code pe}, {@code fewshot}, {@code dpft}) share: the
 * options {@code --config}, {@code --set}, {@code --out} and {@code --json}, their exit codes, and
 * the way a run is started and summarised ({@link #run}).
 */
@Command(
    mixinStandardHelpOptions = true,
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {Main.EXIT_OK, Main.EXIT_ERROR, Main.EXIT_USAGE, Main.EXIT_BUDGET})
final class JobOptions {
  @Mixin ConfigOptions config;

  @Option(names = "--out", paramLabel = "DIR", description = "Run directory: a Hadoop URI (hdfs://..., s3a://..., file:/...) or a path on the default file system (default: output.dir).")
  String out;

  @Option(names = "--json", description = "Print, as the last stdout line, one JSON object: command, run_id, status (complete, budget_exhausted or failed), epsilon, delta, outputs.")
  boolean json;

  /** The body of a privacy run: the job itself, given its Spark session, config and run directory. */
  interface Job<C> {
    void run(SparkSession spark, C cfg, String runDir);
  }

  /**
   * Loads the config ({@code loader}: defaults, then the file, then {@code --set}), runs {@code
   * job} in the run directory ({@code --out}, else the config's {@code output.dir}), and prints the
   * summary with the outputs {@code outputs} names (with {@code --json}: as one JSON line).
   */
  <C extends MethodConfig> int run(String command, BiFunction<Path, List<String>, C> loader, Job<C> job,
      Function<RunDirectory, Map<String, org.apache.hadoop.fs.Path>> outputs) {
    String app = "dpsynth " + command;
    return RunSummary.runAndPrint(command, json, System.out, () -> {
      C cfg = config.load(app, loader);
      String runDir = out != null ? out : cfg.output().dir();
      SparkSession spark = SparkSessions.getOrCreate(app);
      job.run(spark, cfg, runDir);
      RunDirectory run = RunDirectory.at(runDir, spark.sparkContext().hadoopConfiguration());
      return RunSummary.fromManifest(command, run, outputs.apply(run));
    });
  }
}
