package org.dpsynth.testing;

import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/** Stops the shared SparkSession once, after the last test of the JVM. */
public final class StopSparkAtEnd implements LauncherSessionListener {
  @Override
  public void launcherSessionClosed(LauncherSession session) {
    SparkTestSession.stop();
  }
}
