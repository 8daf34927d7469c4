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
 */
final class SparkSessions {
  static final String REDACTION_KEY = "spark.redaction.regex";
  /** Names of API keys (OPENAI_API_KEY, api.key, apikey, X-Api-Key), which Spark's default pattern misses. */
  static final String API_KEY_PATTERN = "(?i)api[-_.]?key";

  private SparkSessions() {}

  static SparkSession getOrCreate(String appName) {
    SparkConf conf = new SparkConf();
    if (!conf.contains("spark.master")) {
      throw new IllegalArgumentException(
          "no Spark master is set: run through submit/local.sh (local mode) or submit/cluster.sh (spark-submit)");
    }
    conf.set(REDACTION_KEY, withApiKeys(conf.get(REDACTION_KEY, sparkDefaultRedaction())));
    SparkSession spark = SparkSession.builder().appName(appName).config(conf).getOrCreate();
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
