package org.dpsynth.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Stops the shared SparkSession once, after the last test of the JVM, and the shared standalone
 * cluster and HDFS mini cluster ({@link SharedClusters}) if an integration test started them.
 */
public final class StopSparkAtEnd implements LauncherSessionListener {
  @Override
  public void launcherSessionClosed(LauncherSession session) {
    try {
      SparkTestSession.stop();
    } finally {
      SharedClusters.stop();
    }
  }
}
