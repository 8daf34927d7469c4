package org.dpsynth.cli;

import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Gets the job's SparkSession. The master is never set here: spark-submit supplies it on a
 * cluster, and submit/local.sh passes {@code -Dspark.master=local[*]} in local mode.
 */
final class SparkSessions {
  private SparkSessions() {}

  static SparkSession getOrCreate(String appName) {
    SparkConf conf = new SparkConf();
    if (!conf.contains("spark.master")) {
      throw new IllegalArgumentException(
          "no Spark master is set: run through submit/local.sh (local mode) or submit/cluster.sh (spark-submit)");
    }
    return SparkSession.builder().appName(appName).config(conf).getOrCreate();
  }
}
