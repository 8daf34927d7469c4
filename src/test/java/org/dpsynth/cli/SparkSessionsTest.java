package org.dpsynth.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.regex.Pattern;
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
}
