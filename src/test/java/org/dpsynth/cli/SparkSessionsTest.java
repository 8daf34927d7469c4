package org.dpsynth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
import org.apache.spark.SparkConf;
import org.junit.jupiter.api.Test;

/** The redaction pattern dpsynth adds to Spark's (the end-to-end check is in ExecutorSecretsIT). */
class SparkSessionsTest {
  @Test
  void sparkDefaultMissesApiKeysAndOursCatchesThemKeepingWhatSparkCaught() {
    String spark = SparkSessions.sparkDefaultRedaction();
    assertFalse(Pattern.compile(spark).matcher("spark.executorEnv.OPENAI_API_KEY").find(),
        "Spark's default pattern (" + spark + ") misses API keys: the reason for the extension");
    Pattern ours = Pattern.compile(SparkSessions.withApiKeys(spark));
    for (String name : new String[] {"spark.executorEnv.OPENAI_API_KEY", "spark.yarn.appMasterEnv.AZURE_OPENAI_API_KEY",
        "spark.kubernetes.driverEnv.apikey", "X-Api-Key", "spark.ssl.keyPassword", "spark.authenticate.secret",
        "spark.hadoop.fs.s3a.access.key"}) {
      assertTrue(ours.matcher(name).find(), name);
    }
    assertFalse(ours.matcher("spark.executor.memory").find());
    assertFalse(ours.matcher("spark.serializer").find());
  }

  @Test
  void aClusterPatternIsExtendedNotReplacedAndNotExtendedTwice() {
    String cluster = "(?i)secret|mycompany_token";
    String extended = SparkSessions.withApiKeys(cluster);
    assertTrue(extended.startsWith(cluster), extended);
    assertTrue(Pattern.compile(extended).matcher("MYCOMPANY_TOKEN").find());
    assertEquals(extended, SparkSessions.withApiKeys(extended));
  }

  @Test
  void shufflePartitionsFollowTheTaskSlotsOfTheConfigurationNotSparks200() {
    assertEquals(8, SparkSessions.shufflePartitions(new SparkConf(false).set("spark.master", "local[*]"), 4));
    assertEquals(2, SparkSessions.shufflePartitions(new SparkConf(false).set("spark.master", "local[1]"), 1));
    assertEquals(4, SparkSessions.shufflePartitions(new SparkConf(false).set("spark.master", "spark://h:7077")
        .set("spark.cores.max", "2"), 2));
    assertEquals(48, SparkSessions.shufflePartitions(new SparkConf(false).set("spark.master", "yarn")
        .set("spark.executor.instances", "6").set("spark.executor.cores", "4"), 2));
    assertEquals(20, SparkSessions.shufflePartitions(new SparkConf(false).set("spark.master", "yarn")
        .set("spark.default.parallelism", "10"), 2));
    // A cluster whose size the configuration does not give keeps Spark's default (0 = unchanged).
    assertEquals(0, SparkSessions.shufflePartitions(new SparkConf(false).set("spark.master", "yarn"), 2));
    assertEquals(0, SparkSessions.shufflePartitions(new SparkConf(false).set("spark.master", "yarn")
        .set("spark.dynamicAllocation.enabled", "true").set("spark.executor.instances", "2")
        .set("spark.executor.cores", "4"), 2));
  }
}
