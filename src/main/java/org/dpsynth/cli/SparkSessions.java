package org.dpsynth.cli;

import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.cluster.ProgressListener;

/**
 * Gets the job's SparkSession. The master is never set here: spark-submit supplies it on a
 * cluster, and submit/local.sh passes {@code -Dspark.master=local[*]} in local mode.
 *
 * <p>Two things are added to whatever the cluster configured: API-key names join Spark's
 * redaction pattern (so a key given to executors with {@code spark.executorEnv.OPENAI_API_KEY}
 * shows as redacted in the UI's environment page and the event log), and a driver-side
 * {@link ProgressListener} prints progress while long stages run.
 *
 * <p>When {@code spark.sql.shuffle.partitions} is not set, it is set to
 * {@link #shufflePartitions(SparkConf, int)}: twice the job's task slots (public: the
 * configuration and the cluster, never the data) instead of Spark's 200. Bounding caches a
 * per-user window whose shuffle adaptive execution does not coalesce (Spark leaves a cached
 * plan's output partitioning alone), so a small corpus used to run two stages of 200 tasks.
 */
final class SparkSessions {
  static final String REDACTION_KEY = "spark.redaction.regex";
  /** Names of API keys (OPENAI_API_KEY, api.key, apikey, X-Api-Key), which Spark's default pattern misses. */
  static final String API_KEY_PATTERN = "(?i)api[-_.]?key";

  static final String SHUFFLE_PARTITIONS_KEY = "spark.sql.shuffle.partitions";

  private SparkSessions() {}

  /**
   * The default shuffle partition count: twice the task slots, at least 2. The slots come from the
   * configuration: {@code spark.default.parallelism} if set; in local mode the context's default
   * parallelism (its cores); on a cluster {@code spark.cores.max} (standalone) or
   * {@code spark.executor.instances} x {@code spark.executor.cores}. Returns 0 (keep Spark's
   * default) on a cluster whose size the configuration does not give (e.g. dynamic allocation).
   */
  static int shufflePartitions(SparkConf conf, int defaultParallelism) {
    int slots;
    if (conf.contains("spark.default.parallelism")) {
      slots = conf.getInt("spark.default.parallelism", 1);
    } else if (conf.get("spark.master", "").startsWith("local")) {
      slots = defaultParallelism;
    } else if (conf.contains("spark.cores.max")) {
      slots = conf.getInt("spark.cores.max", 1);
    } else if (conf.contains("spark.executor.instances") && conf.contains("spark.executor.cores")
        && !conf.getBoolean("spark.dynamicAllocation.enabled", false)) {
      slots = conf.getInt("spark.executor.instances", 1) * conf.getInt("spark.executor.cores", 1);
    } else {
      return 0;
    }
    return Math.max(2, 2 * slots);
  }

  static SparkSession getOrCreate(String appName) {
    SparkConf conf = new SparkConf();
    if (!conf.contains("spark.master")) {
      throw new IllegalArgumentException(
          "no Spark master is set: run through submit/local.sh (local mode) or submit/cluster.sh (spark-submit)");
    }
    conf.set(REDACTION_KEY, withApiKeys(conf.get(REDACTION_KEY, sparkDefaultRedaction())));
    SparkSession spark = SparkSession.builder().appName(appName).config(conf).getOrCreate();
    if (!conf.contains(SHUFFLE_PARTITIONS_KEY)) {
      int n = shufflePartitions(conf, spark.sparkContext().defaultParallelism());
      if (n > 0) {
        spark.conf().set(SHUFFLE_PARTITIONS_KEY, Integer.toString(n));
      }
    }
    spark.sparkContext().addSparkListener(
        new ProgressListener(System.out, conf.getDouble(ProgressListener.INTERVAL_KEY, 10)));
    return spark;
  }

  /** Spark's own default for {@code spark.redaction.regex} (what a cluster without a setting uses). */
  static String sparkDefaultRedaction() {
    return org.apache.spark.internal.config.package$.MODULE$.SECRET_REDACTION_PATTERN().defaultValueString();
  }

  /** {@code existing} extended to match API-key names too; unchanged when it already does. */
  static String withApiKeys(String existing) {
    if (existing == null || existing.isBlank()) {
      return API_KEY_PATTERN;
    }
    if (Pattern.compile(existing).matcher("spark.executorEnv.OPENAI_API_KEY").find()) {
      return existing;
    }
    return existing + "|" + API_KEY_PATTERN;
  }
}
