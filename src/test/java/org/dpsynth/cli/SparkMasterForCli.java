package org.dpsynth.cli;

import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * For test classes that run job commands in this JVM: the CLI insists on a configured master, so
 * {@code spark.master} is set to the shared test session's for the class and restored after it.
 */
final class SparkMasterForCli implements BeforeAllCallback, AfterAllCallback {
  private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SparkMasterForCli.class);
  private static final String UNSET = "\u0000unset";

  @Override
  public void beforeAll(ExtensionContext context) {
    String old = System.getProperty("spark.master");
    context.getStore(NS).put("old", old == null ? UNSET : old);
    System.setProperty("spark.master", SparkTestSession.get().sparkContext().master());
  }

  @Override
  public void afterAll(ExtensionContext context) {
    String old = context.getStore(NS).get("old", String.class);
    if (old == null || UNSET.equals(old)) {
      System.clearProperty("spark.master");
    } else {
      System.setProperty("spark.master", old);
    }
  }
}
