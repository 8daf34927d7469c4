package org.dpsynth.dpft;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.commons.math3.distribution.BetaDistribution;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.dpsynth.privacy.NoiseSource;
import org.dpsynth.privacy.RdpAccountant;
import org.dpsynth.privacy.SeededNoise;
import org.junit.jupiter.api.Test;

/**
 * Empirical privacy audit of ONE user-level DP-SGD step (in the style of Jagielski et al. 2020,
 * Nasr et al. 2021): run the real step ({@link DpSgdStep}: per-user gradient, clip, grid
 * rounding, discrete Gaussian release) many times on neighbouring datasets D and D' = D + a canary
 * user with many records, test "canary present" by thresholding the release projected on the
 * canary's clipped gradient at a few thresholds fixed in advance, and turn the false/true positive
 * rates into a lower bound on ε with Clopper–Pearson intervals, ε_lb = max over thresholds of
 * log((TPR_low − δ) / FPR_high), with a Bonferroni correction over the thresholds. It must not exceed the ε the
 * RDP accountant claims; broken mechanisms (noise halved, clipping removed) must be flagged.
 *
 * <p>Setup chosen so the test has power: q = 1 (so the audit targets clipping and noise, not
 * amplification), z = 1.5, δ = 1e-3, thresholds 1–2.5 claimed noise stddevs, 100,000 runs per
 * dataset. False-failure probabilities: the correct mechanism is wrongly flagged only if one of the
 * ten one-sided Clopper–Pearson bounds (2e-8 each) fails (≤ 2e-7 in all); the halved-noise
 * mechanism is expected to give ε_lb ≈ 2.6 against a claim of 2.17 (at threshold 1.25) and escapes
 * detection only if its counts deviate by more than about 5 standard deviations (< 1e-6); without clipping the canary shifts the statistic by
 * many stddevs and detection is certain.
 */
class DpSgdAuditTest {
  private static final double Z = 1.5;
  private static final double DELTA = 1e-3;
  private static final double CLIP = 0.05;
  /** Thresholds in units of the CLAIMED noise stddev z·C, fixed in advance (Bonferroni over them). */
  private static final double[] THRESHOLDS = {1.0, 1.25, 1.5, 2.0, 2.5};
  private static final int RUNS = 100_000;
  private static final double CONFIDENCE = 1e-7 / THRESHOLDS.length;

  private static final FeedForwardLm.Shape SHAPE = new FeedForwardLm.Shape(5, 1, 1, 1, 1);

  private static List<UserExamples> baseUsers() {
    return List.of(
        new UserExamples("u1", new int[][] {{3, 4, 2}}, new int[] {0}),
        new UserExamples("u2", new int[][] {{4, 2}, {3, 3, 2}}, new int[] {0, 0}),
        new UserExamples("u3", new int[][] {{3, 2}}, new int[] {0}));
  }

  private static UserExamples canary() {
    int[][] many = new int[40][];
    for (int i = 0; i < many.length; i++) {
      many[i] = new int[] {4, 4, 4, 4, 2};
    }
    return new UserExamples("canary", many, new int[40]);
  }

  /** ε lower bound of a step whose per-user contributions come from {@code clip}, with noise stddev factor. */
  private static double auditedEpsilon(boolean clip, double noiseFactor, long seed) {
    double[] params = FeedForwardLm.initialParameters(SHAPE, 42);
    FeedForwardLm model = new FeedForwardLm(SHAPE, params);
    GridGaussianMechanism mech = new GridGaussianMechanism(CLIP, SHAPE.parameters());
    PoissonSampling sampling = PoissonSampling.seeded(1, 1);
    List<UserExamples> d = baseUsers();
    List<UserExamples> dPrime = new ArrayList<>(d);
    dPrime.add(canary());
    long[] sumD = clip ? DpSgdStep.sum(model, d, sampling, 1.0, 40, mech) : unclippedSum(model, d, sampling, mech);
    long[] sumDPrime = clip ? DpSgdStep.sum(model, dPrime, sampling, 1.0, 40, mech) : unclippedSum(model, dPrime, sampling, mech);
    // The test direction: the canary's contribution (what an adversary who knows D can compute).
    double[] dir = new double[sumD.length];
    double norm = 0;
    for (int i = 0; i < dir.length; i++) {
      dir[i] = (sumDPrime[i] - sumD[i]) * mech.grid();
      norm += dir[i] * dir[i];
    }
    norm = Math.sqrt(norm);
    assertTrue(norm > 0, "the canary must change the sum");
    double sigma = Z * CLIP * noiseFactor;
    NoiseSource noise = new SeededNoise(seed);
    int[] falsePositives = count(sumD, sumD, dir, norm, mech, sigma, noise);
    int[] truePositives = count(sumDPrime, sumD, dir, norm, mech, sigma, noise);
    double best = 0;
    for (int k = 0; k < THRESHOLDS.length; k++) {
      int fp = falsePositives[k];
      int tp = truePositives[k];
      double fprHigh = fp == RUNS ? 1 : new BetaDistribution(fp + 1, RUNS - fp).inverseCumulativeProbability(1 - CONFIDENCE);
      double tprLow = tp == 0 ? 0 : new BetaDistribution(tp, RUNS - tp + 1).inverseCumulativeProbability(CONFIDENCE);
      if (tprLow > DELTA) {
        best = Math.max(best, Math.log((tprLow - DELTA) / fprHigh));
      }
    }
    return best;
  }

  /** Runs the release RUNS times and counts how often the projected statistic exceeds each threshold. */
  private static int[] count(long[] sum, long[] sumD, double[] dir, double norm, GridGaussianMechanism mech, double sigma, NoiseSource noise) {
    int[] hits = new int[THRESHOLDS.length];
    for (int r = 0; r < RUNS; r++) {
      double[] released = DpSgdStep.noisyMeanGradient(sum, mech, sigma, noise, 1.0);
      double stat = 0;
      for (int i = 0; i < dir.length; i++) {
        stat += (released[i] - sumD[i] * mech.grid()) * dir[i];
      }
      // Threshold in units of the noise stddev SIGMA claims (Z·C): a broken mechanism is judged by the claim.
      double t = stat / norm / (Z * CLIP);
      for (int k = 0; k < THRESHOLDS.length; k++) {
        if (t > THRESHOLDS[k]) {
          hits[k]++;
        }
      }
    }
    return hits;
  }

  /** The step with clipping removed: gradients rounded to the grid as they are (a broken mechanism). */
  private static long[] unclippedSum(FeedForwardLm model, List<UserExamples> users, PoissonSampling s, GridGaussianMechanism mech) {
    long[] sum = new long[mech.dimension()];
    double[] grad = new double[mech.dimension()];
    for (UserExamples u : users) {
      DpSgdStep.userGradient(model, u, s, 40, grad);
      for (int i = 0; i < grad.length; i++) {
        sum[i] += Math.round(grad[i] / mech.grid());
      }
    }
    return sum;
  }

  private static double claimed() {
    return RdpAccountant.epsilon(1.0, Z, 1, DELTA);
  }

  @Test
  void correctStepStaysWithinTheClaimedEpsilon() {
    double lb = auditedEpsilon(true, 1.0, 11);
    System.out.printf("DP-SGD audit: correct step epsilon lower bound %.3f <= claimed %.3f%n", lb, claimed());
    assertTrue(lb <= claimed(), "empirical lower bound " + lb + " exceeds the claimed epsilon " + claimed());
  }

  @Test
  void halvedNoiseIsFlagged() {
    double lb = auditedEpsilon(true, 0.5, 12);
    System.out.printf("DP-SGD audit: noise halved -> lower bound %.3f > claimed %.3f%n", lb, claimed());
    assertTrue(lb > claimed(), "halved noise not detected: lower bound " + lb + " vs claimed " + claimed());
  }

  @Test
  void removedClippingIsFlagged() {
    double lb = auditedEpsilon(false, 1.0, 13);
    System.out.printf("DP-SGD audit: clipping removed -> lower bound %.3f > claimed %.3f%n", lb, claimed());
    assertTrue(lb > claimed(), "missing clipping not detected: lower bound " + lb + " vs claimed " + claimed());
  }
}
