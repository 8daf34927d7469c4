package org.dpsynth.cli;

import java.util.function.Function;
import java.nio.file.Path;
import org.apache.spark.SparkConf;
import org.dpsynth.cluster.JobFiles;
import org.dpsynth.config.ConfigException;

/**
 * {@code --config} of the job commands: a local file, any Hadoop path, or the name of a file shipped
 * with the job ({@link JobFiles#config}), loaded by the command's own loader. Errors name the
 * config as the user gave it, never a temporary copy.
 */
final class ConfigFile {
  private ConfigFile() {}

  static <T> T load(String ref, String appName, Function<Path, T> loader) {
    if (ref == null) {
      return loader.apply(null);
    }
    JobFiles.Local local = JobFiles.config(ref, new SparkConf(), () -> SparkSessions.getOrCreate(appName));
    try {
      return loader.apply(local.file());
    } catch (ConfigException e) {
      if (local.file().toString().equals(local.shownAs())) {
        throw e;
      }
      throw new ConfigException(e.getMessage().replace(local.file().toString(), local.shownAs()), e);
    }
  }
}
