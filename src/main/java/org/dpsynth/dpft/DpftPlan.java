package org.dpsynth.dpft;

import java.util.ArrayList;
import java.util.List;
import org.dpsynth.config.ConfigException;
import org.dpsynth.config.DpftConfig;
import org.dpsynth.privacy.PldAccountant;
import org.dpsynth.privacy.RdpAccountant;
import org.dpsynth.privacy.SubsampledGaussianAccountant;

/**
 * The privacy plan of a fine-tuning run: the optional DP counts (user count for the expected batch
 * size, label counts for sampling; each a Gaussian release with sensitivity 1 and stddev {@code
 * count_noise}) and T Poisson-subsampled Gaussian DP-SGD steps with noise multiplier z, composed
 * with {@link PldAccountant}, as the ledger composes them. z is calibrated so the whole run meets the target ε (safe side), or
 * is given ({@code privacy.sigma}) and ε is reported.
 */
public record DpftPlan(
    double samplingRate, int steps, double noiseMultiplier, double clip, double countNoise, int countReleases, double delta) {

  public static DpftPlan of(DpftConfig cfg) {
    int counts = (cfg.dpft().dpUserCount() ? 1 : 0) + (cfg.labels().dpProportions() ? 1 : 0);
    double q = cfg.dpft().samplingRate();
    int steps = cfg.dpft().steps();
    double delta = cfg.privacy().delta();
    double countNoise = cfg.dpft().countNoise();
    if (cfg.privacy().sigma() != null) {
      return new DpftPlan(q, steps, cfg.privacy().sigma(), cfg.privacy().clip(), countNoise, counts, delta);
    }
    double target = cfg.privacy().epsilon();
    DpftPlan probe = new DpftPlan(q, steps, 1, cfg.privacy().clip(), countNoise, counts, delta);
    if (probe.rdpEpsilon(0) >= target) {
      throw new ConfigException("dpft.count_noise: the DP counts alone spend epsilon " + probe.rdpEpsilon(0)
          + " >= privacy.epsilon " + target + "; raise dpft.count_noise or give dpft.expected_batch_size a public number");
    }
    double lo = 1e-3;
    double hi = 1;
    while (probe.withZ(hi).rdpEpsilon(steps) > target) {
      hi *= 2;
      if (hi > 1e6) {
        throw new ConfigException("privacy.epsilon " + target + " cannot be reached with any noise multiplier up to 1e6");
      }
    }
    while (hi / lo > 1 + 1e-7) {
      double mid = Math.sqrt(lo * hi);
      if (probe.withZ(mid).rdpEpsilon(steps) > target) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return probe.withZ(hi);
  }

  private DpftPlan withZ(double z) {
    return new DpftPlan(samplingRate, steps, z, clip, countNoise, countReleases, delta);
  }

  /** Noise stddev of each DP-SGD step's sum: z·C. */
  public double noiseStddev() {
    return noiseMultiplier * clip;
  }

  /**
   * ε by RDP alone: calibration searches with it because it is fast; the reported {@link
   * #epsilon} (the smaller of PLD and RDP) is then at most the target too.
   */
  double rdpEpsilon(int stepsDone) {
    List<RdpAccountant.SubsampledRelease> rs = new ArrayList<>();
    for (int i = 0; i < countReleases; i++) {
      rs.add(new RdpAccountant.SubsampledRelease(1.0, countNoise, 1));
    }
    if (stepsDone > 0) {
      rs.add(new RdpAccountant.SubsampledRelease(samplingRate, noiseMultiplier, stepsDone));
    }
    return rs.isEmpty() ? 0.0 : RdpAccountant.epsilon(rs, delta);
  }

  /** ε after the count releases and {@code stepsDone} DP-SGD steps. */
  public double epsilon(int stepsDone) {
    // The same composition the ledger uses (PrivacyLedger.totalEpsilon), so manifest and ledger agree.
    List<PldAccountant.SubsampledGaussian> rs = new ArrayList<>();
    for (int i = 0; i < countReleases; i++) {
      rs.add(new PldAccountant.SubsampledGaussian(1.0, countNoise, 1));
    }
    if (stepsDone > 0) {
      rs.add(new PldAccountant.SubsampledGaussian(samplingRate, noiseMultiplier, stepsDone));
    }
    if (rs.isEmpty()) {
      return 0.0;
    }
    return SubsampledGaussianAccountant.epsilon(rs, delta);
  }
}
