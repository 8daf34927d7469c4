package org.dpsynth.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import org.apache.spark.SparkConf;
import org.dpsynth.cluster.JobFiles;
import org.dpsynth.config.ConfigException;
import picocli.CommandLine.Option;

/**
 * {@code --config} and {@code --set}, the options of every command that reads a job config. The
 * config is a local file, any Hadoop path, or the name of a file shipped with the job ({@link
 * JobFiles#config}); errors name it as the user gave it, never a temporary copy.
 */
final class ConfigOptions {
  @Option(names = "--config", paramLabel = "FILE", description = "Job config (YAML or JSON): a local file, a Hadoop path (hdfs://, s3a://, file://; a bare path is on the default file system), or the name of a file shipped with --files. Without it the built-in defaults run.")
  String config;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a config key, e.g. --set privacy.epsilon=2 (repeatable).")
  List<String> overrides = new ArrayList<>();

  /** The config, by the command's own {@code loader} (defaults, then the file, then {@code --set}). */
  <T> T load(String appName, BiFunction<Path, List<String>, T> loader) {
    if (config == null) {
      return loader.apply(null, overrides);
    }
    JobFiles.Local local = JobFiles.config(config, new SparkConf(), () -> SparkSessions.getOrCreate(appName));
    try {
      return loader.apply(local.file(), overrides);
    } catch (ConfigException e) {
      if (local.file().toString().equals(local.shownAs())) {
        throw e;
      }
      throw new ConfigException(e.getMessage().replace(local.file().toString(), local.shownAs()), e);
    }
  }
}
