package org.dpsynth.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.sql.SparkSession;

/**
 * The one SparkSession of the test JVM (as in Iceberg's TestBase): local[2], driver bound to
 * 127.0.0.1, UI off, with the project's own conf/spark-defaults.conf so tests run with the same
 * serializer as jobs. It is stopped when the JUnit launcher session closes.
 */
public final class SparkTestSession {
  private static SparkSession session;

  private SparkTestSession() {}

  public static synchronized SparkSession get() {
    if (session == null) {
      SparkSession.Builder b = SparkSession.builder()
          .appName("dpsynth-tests")
          .master("local[2]")
          .config("spark.driver.host", "127.0.0.1")
          .config("spark.driver.bindAddress", "127.0.0.1")
          .config("spark.ui.enabled", "false")
          .config("spark.sql.shuffle.partitions", "4")
          .config("spark.default.parallelism", "2");
      try {
        for (String line : Files.readAllLines(Path.of("conf/spark-defaults.conf"))) {
          String l = line.strip();
          if (l.isEmpty() || l.startsWith("#")) {
            continue;
          }
          String[] kv = l.split("\\s+", 2);
          b.config(kv[0], kv[1]);
        }
      } catch (IOException e) {
        throw new IllegalStateException("tests run from the project root and read conf/spark-defaults.conf", e);
      }
      session = b.getOrCreate();
      session.sparkContext().setLogLevel("WARN");
    }
    return session;
  }

  static synchronized void stop() {
    if (session != null) {
      session.stop();
      session = null;
    }
  }
}
