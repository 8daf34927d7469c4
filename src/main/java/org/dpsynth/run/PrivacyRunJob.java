package org.dpsynth.run;

import java.io.PrintStream;
import java.util.function.Consumer;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.config.MethodConfig;
import org.dpsynth.privacy.NoiseSource;

/**
 * A method's job (PE, DP few-shot generation, DP fine-tuning) as the privacy-run protocol sees it:
 * a Spark session, a run directory, the console, the noise source its configuration names, and
 * {@link #openRun}, which starts or resumes the run under the protocol ({@link PrivateRun}).
 */
public abstract class PrivacyRunJob {
  protected final SparkSession spark;
  protected final RunDirectory run;
  protected final PrintStream console;
  /** Called with phase names after each phase; tests stop the driver there. */
  protected final Consumer<String> boundary;
  protected final NoiseSource noiseSpec;

  /** @param runDir the run directory: a Hadoop URI, or a bare path on the default file system */
  protected PrivacyRunJob(SparkSession spark, MethodConfig cfg, String runDir, PrintStream console, Consumer<String> boundary) {
    this.spark = spark;
    this.run = RunDirectory.at(runDir, spark.sparkContext().hadoopConfiguration());
    this.console = console;
    this.boundary = boundary;
    this.noiseSpec = NoiseSource.parse(cfg.privacy().noise());
  }

  /** A local directory as the URI the run layer takes. */
  protected static String uri(java.nio.file.Path runDir) {
    return runDir.toAbsolutePath().toUri().toString();
  }

  /**
   * Starts the run of {@code method} in the run directory, or resumes the one found there, on the
   * budget of the configured dataset; warns on the console when the noise is not the secure
   * sampler's.
   */
  protected final PrivateRun openRun(String method, MethodConfig cfg) {
    String dataset = cfg.input().datasetName();
    PrivateRun opened = PrivateRun.open(run, new PrivateRun.Settings(method, RunFingerprint.of(cfg), dataset,
        Ledgers.open(cfg.budget(), dataset, run), cfg.budget().totalEpsilon(), cfg.privacy().delta(), noiseSpec),
        console, boundary);
    if (!noiseSpec.isSecure()) {
      console.println("WARNING: noise source is " + noiseSpec.description());
    }
    return opened;
  }
}
