package org.dpsynth.fewshot;

import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.commons.math3.distribution.BetaDistribution;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.dpsynth.privacy.NoiseSource;
import org.dpsynth.privacy.PldAccountant;
import org.dpsynth.privacy.SeededNoise;
import org.junit.jupiter.api.Test;

/**
 * Empirical privacy audit of one per-token release (Jagielski et al. 2020 style): neighbouring
 * datasets D (without the target user) and D' (with it), many runs of the production pieces
 * (secret Poisson sampling, fixed M subsets, quantised restricted distributions, grid Gaussian
 * release with stddev z·Δ), a threshold test on the released vector, and the Clopper–Pearson lower
 * bound ε_lo = log((TPR_lo − δ)/FPR_hi). The worst case for the target: its example turns its
 * subset's distribution from the public point mass (0, 1) into (1, 0) (distance √2 = Δ).
 *
 * <p>False-failure probability: the correct mechanism's true log((TPR − δ)/FPR) at every threshold
 * is below the claimed ε (the PLD accountant is an upper bound), so ε_lo exceeds it only if one of
 * the 2 thresholds × 2 one-sided Clopper–Pearson bounds fails, each at 2.5e-7: ≤ 1e-6 in total.
 * The broken mechanism (noise halved) has log((TPR − δ)/FPR) ≈ 2.37 at the second threshold
 * against a claimed 1.22; with 100,000 runs the bounds lose ≈ 0.3, so it is flagged except with
 * probability far below 1e-6.
 */
class TokenReleaseAuditTest {
  private static final double Q = 0.5;
  private static final double Z = 1.5;
  private static final double DELTA = 1e-3;
  private static final int RUNS = 100_000;
  private static final int M = 2;
  private static final double ALPHA = 2.5e-7;

  @Test
  void correctMechanismPassesAndHalvedNoiseIsFlagged() {
    double claimed = PldAccountant.epsilon(Q, Z, 1, DELTA);
    double stddev = Z * TokenDistributions.SENSITIVITY;
    double correct = audit(stddev, 1);
    double broken = audit(stddev / 2, 2);
    System.out.printf("audit: claimed eps %.3f, correct lower bound %.3f, halved-noise lower bound %.3f%n", claimed, correct, broken);
    assertTrue(correct <= claimed, "correct mechanism: empirical lower bound " + correct + " > claimed " + claimed);
    assertTrue(broken > claimed, "halved noise not flagged: " + broken + " <= claimed " + claimed);
  }

  /** The largest Clopper–Pearson ε lower bound over the two a-priori thresholds. */
  private static double audit(double stddev, long seed) {
    GridGaussianMechanism mech = TokenDistributions.mechanism(2);
    long[] pub = mech.quantize(new double[] {0, 1});
    long[] target = mech.quantize(new double[] {1, 0});
    SecretSampler sampler = new SecretSampler(new byte[32]);
    NoiseSource noise = new SeededNoise(seed);
    double unit = Math.sqrt(2) * Z * TokenDistributions.SENSITIVITY; // stddev of s at the claimed noise
    double[] thresholds = {-2 + 2.55 * unit, -2 + 1.275 * unit};
    long[][] hits = new long[2][thresholds.length];
    for (int world = 0; world < 2; world++) {
      for (int run = 0; run < RUNS; run++) {
        long[] sum = new long[2];
        int targetSubset = -1;
        if (world == 1 && sampler.sampled(Q, "target", 0, 0, run)) {
          targetSubset = sampler.index('j', M, "target", 0, 0, run);
        }
        for (int j = 0; j < M; j++) {
          GridGaussianMechanism.addInto(sum, j == targetSubset ? target : pub);
        }
        double[] out = mech.release(sum, stddev, noise);
        double s = out[0] - out[1];
        for (int t = 0; t < thresholds.length; t++) {
          if (s > thresholds[t]) {
            hits[world][t]++;
          }
        }
      }
    }
    double best = Double.NEGATIVE_INFINITY;
    for (int t = 0; t < thresholds.length; t++) {
      double fprHi = upper(hits[0][t], RUNS);
      double tprLo = lower(hits[1][t], RUNS);
      if (tprLo > DELTA) {
        best = Math.max(best, Math.log((tprLo - DELTA) / fprHi));
      }
    }
    return best;
  }

  static double lower(long k, long n) {
    return k == 0 ? 0 : new BetaDistribution(k, n - k + 1).inverseCumulativeProbability(ALPHA);
  }

  static double upper(long k, long n) {
    return k == n ? 1 : new BetaDistribution(k + 1, n - k).inverseCumulativeProbability(1 - ALPHA);
  }
}
