package org.dpsynth.pe;

import java.util.ArrayList;
import java.util.List;
import org.dpsynth.config.JobConfig;
import org.dpsynth.privacy.GaussianAccountant;

/**
 * The privacy parameters of one PE run, fixed before any release: T vote histograms at noise
 * multiplier {@code noiseMultiplier}, plus, when label proportions are DP, one label-count release
 * (the first release of the run) at {@code labelNoiseMultiplier}.
 *
 * <p>The releases compose as Gaussian DP, μ² = Σ 1/z². With {@code labels.budget_share} = 0 (the
 * default) every release gets the same z, calibrated from the target (epsilon, delta) or given as
 * {@code privacy.sigma}. With a share w in (0, 1) the label release gets w of μ² and the T votes
 * share the rest equally: z_label = z₁/√w and z_vote = z₁·√(T/(1−w)), where z₁ = 1/μ is the noise
 * multiplier a single release would need for the whole target. Given {@code privacy.sigma} (the
 * votes' z) the label release's z follows from the same split: z_label = σ·√((1−w)/(w·T)).
 */
public record PrivacyPlan(int releases, double noiseMultiplier, double labelNoiseMultiplier, double clip, double epsilon,
    double delta) {

  /** Calibrated multipliers are raised by this factor so that rounding in the split never overshoots the target. */
  private static final double SAFE_SIDE = 1 + 1e-12;

  public static PrivacyPlan of(JobConfig cfg) {
    int iterations = cfg.pe().iterations();
    boolean labelRelease = cfg.labels().dpProportions();
    int releases = iterations + (labelRelease ? 1 : 0);
    double delta = cfg.privacy().delta();
    double clip = cfg.privacy().clip();
    if (releases == 0) {
      return new PrivacyPlan(0, Double.POSITIVE_INFINITY, Double.POSITIVE_INFINITY, clip, 0.0, delta);
    }
    double share = labelRelease ? cfg.labels().budgetShare() : 0;
    double zVote;
    double zLabel;
    if (share <= 0 || iterations == 0) {
      zVote = cfg.privacy().sigma() != null
          ? cfg.privacy().sigma()
          : GaussianAccountant.calibrateNoiseMultiplier(cfg.privacy().epsilon(), delta, releases);
      zLabel = zVote;
    } else if (cfg.privacy().sigma() != null) {
      zVote = cfg.privacy().sigma();
      zLabel = zVote * Math.sqrt((1 - share) / (share * iterations));
    } else {
      double z1 = GaussianAccountant.calibrateNoiseMultiplier(cfg.privacy().epsilon(), delta, 1);
      zVote = z1 * Math.sqrt(iterations / (1 - share)) * SAFE_SIDE;
      zLabel = z1 / Math.sqrt(share) * SAFE_SIDE;
    }
    PrivacyPlan plan = new PrivacyPlan(releases, zVote, zLabel, clip, 0.0, delta);
    return new PrivacyPlan(releases, zVote, zLabel, clip, plan.epsilonAfter(releases, delta), delta);
  }

  /** True when the label release and the votes have different noise multipliers ({@code labels.budget_share} > 0). */
  public boolean splitBudget() {
    return labelNoiseMultiplier != noiseMultiplier;
  }

  /** Standard deviation of the noise added to each released vote sum. */
  public double noiseStddev() {
    return noiseMultiplier * clip;
  }

  /** mu of the first {@code r} releases composed (the label release, if any, comes first). */
  public double mu(int r) {
    return r == 0 ? 0.0 : GaussianAccountant.mu(first(r));
  }

  /** Epsilon at {@code delta} after the first {@code r} releases. */
  public double epsilonAfter(int r, double delta) {
    return r == 0 ? 0.0 : GaussianAccountant.epsilon(first(r), delta);
  }

  private List<GaussianAccountant.GaussianRelease> first(int r) {
    if (!splitBudget()) {
      return List.of(new GaussianAccountant.GaussianRelease(noiseMultiplier, 1.0, r));
    }
    List<GaussianAccountant.GaussianRelease> out = new ArrayList<>();
    out.add(new GaussianAccountant.GaussianRelease(labelNoiseMultiplier, 1.0, 1));
    if (r > 1) {
      out.add(new GaussianAccountant.GaussianRelease(noiseMultiplier, 1.0, r - 1));
    }
    return out;
  }
}
