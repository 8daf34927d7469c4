package org.dpsynth.pe;

import java.util.List;
import org.dpsynth.config.JobConfig;
import org.dpsynth.privacy.GaussianAccountant;

/**
 * The privacy parameters of one PE run, fixed before any release: the number of Gaussian releases
 * (T histograms, plus one label-count release when proportions are DP), and one noise multiplier
 * for all of them, either calibrated from the target (epsilon, delta) or given.
 */
public record PrivacyPlan(int releases, double noiseMultiplier, double clip, double epsilon, double delta) {

  public static PrivacyPlan of(JobConfig cfg) {
    int releases = cfg.pe().iterations() + (cfg.labels().dpProportions() ? 1 : 0);
    double delta = cfg.privacy().delta();
    double clip = cfg.privacy().clip();
    if (releases == 0) {
      return new PrivacyPlan(0, Double.POSITIVE_INFINITY, clip, 0.0, delta);
    }
    double z = cfg.privacy().sigma() != null
        ? cfg.privacy().sigma()
        : GaussianAccountant.calibrateNoiseMultiplier(cfg.privacy().epsilon(), delta, releases);
    double eps = GaussianAccountant.epsilonForNoiseMultiplier(z, releases, delta);
    return new PrivacyPlan(releases, z, clip, eps, delta);
  }

  /** Standard deviation of the noise added to each released sum. */
  public double noiseStddev() {
    return noiseMultiplier * clip;
  }

  /** mu of the first {@code r} releases composed. */
  public double mu(int r) {
    return r == 0 ? 0.0 : GaussianAccountant.mu(List.of(new GaussianAccountant.GaussianRelease(noiseStddev(), clip, r)));
  }

  /** Epsilon at {@code delta} after the first {@code r} releases. */
  public double epsilonAfter(int r, double delta) {
    return r == 0 ? 0.0 : GaussianAccountant.epsilonForNoiseMultiplier(noiseMultiplier, r, delta);
  }
}
