package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.dpsynth.privacy.GaussianAccountant;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.dpsynth.privacy.NoiseSource;
import org.dpsynth.privacy.SecureNoise;
import org.dpsynth.privacy.audit.ThresholdAudit;
import org.junit.jupiter.api.Test;

/**
 * Empirical privacy audit of one PE release with the real classes: records vote
 * ({@link VoteAccumulator} over a {@link SyntheticIndex}), each user's vector is clipped and
 * rounded to the grid, the sum is released by {@link GridGaussianMechanism} with {@link
 * SecureNoise}. D' = D plus one heavy user (200 records) whose records all vote for sample 0; the
 * audit watches coordinate 0 of the release.
 *
 * <p>Parameters: C = 1, noise multiplier z = 2 (μ = 1/z = 0.5), δ = 1e-5: claimed ε ≈ 1.99.
 *
 * <p>Why the assertions are at confidence 1 − 1e-6 and the 95% bound is only printed: the
 * Gaussian's (ε, δ) curve is attained by a threshold test, so a correct mechanism audited with
 * enough samples has thresholds where a 95% Clopper–Pearson bound exceeds the claimed ε with
 * probability up to 2.5% (computed with {@link ThresholdAudit#probabilityBoundExceeds}: about
 * 1e-3 at 100,000 samples, maximised near t = 3.3σ). A bound at confidence 1 − 1e-6 exceeds the
 * true ε of the chosen test with probability ≤ 1e-6 (the threshold is picked on the first half
 * of the samples and the bound is computed on the other half), and the true ε of any test is ≤ the
 * claimed ε, so the correct mechanism fails with probability ≤ 1e-6.
 *
 * <p>Why the broken mechanisms are caught: with σ halved (μ = 1) the bound at confidence 1 − 1e-6
 * from 150,000 evaluation samples exceeds the claimed ε with probability ≥ 1 − 1e-6 for any
 * threshold in [2.7σ, 3.3σ] above D's mean (computed in {@link #theSizingHolds}); the calibration half's best
 * threshold lies there because outside it the calibration bound is lower by more than its own
 * sampling error. With the clip 50× larger the heavy user shifts the output by 50·C = 25σ: the
 * two output distributions do not overlap (P < 1e-100), so every evaluation sample is separated
 * and the bound from 1,000 evaluation samples is ≈ 4.2 > 1.99 at confidence 1 − 1e-6.
 */
class PeReleaseAuditTest {
  private static final double C = 1.0;
  private static final double Z = 2.0;
  private static final double DELTA = 1e-5;
  private static final int TRIALS = 300_000; // per dataset; half calibrate the threshold, half evaluate
  private static final double STRICT = 1 - 1e-6;
  private static final int DIM = 4;

  /** Population of 4 samples, 2 labels; sample 0 is e_0 with label 0. */
  private static SyntheticIndex population() {
    float[][] e = new float[4][DIM];
    for (int j = 0; j < 4; j++) {
      e[j][j] = 1f;
    }
    return SyntheticIndex.build(e, new int[] {0, 0, 1, 1}, 2);
  }

  private record User(int[] labels, float[][] vectors) {}

  private static User user(int records, int label, float[] vector) {
    int[] l = new int[records];
    float[][] v = new float[records][];
    Arrays.fill(l, label);
    Arrays.fill(v, vector);
    return new User(l, v);
  }

  private static float[] unit(float... v) {
    double n = 0;
    for (float x : v) {
      n += x * x;
    }
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = (float) (v[i] / Math.sqrt(n));
    }
    return out;
  }

  /** D: three light users; one of them also votes for sample 0. */
  private static List<User> datasetD() {
    List<User> d = new ArrayList<>();
    d.add(user(2, 0, unit(1f, 0.2f, 0f, 0f)));
    d.add(user(1, 0, unit(0.1f, 1f, 0f, 0f)));
    d.add(user(3, 1, unit(0f, 0f, 0.3f, 1f)));
    return d;
  }

  /** D' = D plus one user whose 200 records all vote for sample 0. */
  private static List<User> datasetDPrime() {
    List<User> d = datasetD();
    d.add(user(200, 0, unit(1f, 0f, 0f, 0f)));
    return d;
  }

  /** Coordinate 0 of {@code trials} independent runs of vote → clip → sum → noisy release. */
  static double[] run(List<User> users, GridGaussianMechanism mech, double noiseStddev, int trials) {
    SyntheticIndex index = population();
    NoiseSource noise = new SecureNoise();
    double[] out = new double[trials];
    for (int i = 0; i < trials; i++) {
      VoteAccumulator acc = new VoteAccumulator(index, 1, NearestNeighbourKernel.Distance.COSINE, mech, 64);
      for (User u : users) {
        acc.addUser(u.labels(), u.vectors());
      }
      out[i] = mech.release(acc.finish(), noiseStddev, noise)[0];
    }
    return out;
  }

  private static double claimedEpsilon() {
    return GaussianAccountant.epsilon(List.of(new GaussianAccountant.GaussianRelease(Z * C, C, 1)), DELTA);
  }

  private static ThresholdAudit.Result[] audit(GridGaussianMechanism mech, double noiseStddev, int trials, String name) {
    double[] d = run(datasetD(), mech, noiseStddev, trials);
    double[] p = run(datasetDPrime(), mech, noiseStddev, trials);
    ThresholdAudit.Result at95 = ThresholdAudit.audit(d, p, DELTA, 0.95);
    ThresholdAudit.Result strict = ThresholdAudit.audit(d, p, DELTA, STRICT);
    System.out.printf("audit %-22s claimed eps %.3f  lower bound (95%%) %.3f  lower bound (1-1e-6) %.3f  test %s at %.3f (%d/%d vs %d/%d)%n",
        name, claimedEpsilon(), at95.epsilonLowerBound(), strict.epsilonLowerBound(), strict.test(), strict.threshold(),
        strict.countA(), strict.trials(), strict.countB(), strict.trials());
    return new ThresholdAudit.Result[] {at95, strict};
  }

  @Test
  void theRealMechanismPassesTheAudit() {
    ThresholdAudit.Result[] r = audit(new GridGaussianMechanism(C, 4), Z * C, TRIALS, "real mechanism");
    assertTrue(r[1].epsilonLowerBound() <= claimedEpsilon(),
        "empirical lower bound " + r[1].epsilonLowerBound() + " exceeds the claimed epsilon " + claimedEpsilon());
    // The audit has power: the heavy user is visible (a mechanism with no effect would give 0).
    assertTrue(r[0].epsilonLowerBound() > 0.5 * claimedEpsilon(), "the audit found the heavy user: " + r[0].epsilonLowerBound());
  }

  @Test
  void theAuditFlagsHalvedNoise() {
    ThresholdAudit.Result[] r = audit(new GridGaussianMechanism(C, 4), Z * C / 2, TRIALS, "sigma halved");
    assertTrue(r[1].epsilonLowerBound() > claimedEpsilon(), "halved noise not flagged: " + r[1].epsilonLowerBound());
  }

  @Test
  void theAuditFlagsAMechanismWithoutClipping() {
    // Votes clipped at 50 C, noise still calibrated for C: the heavy user's 200 votes count 50 times.
    ThresholdAudit.Result[] r = audit(new GridGaussianMechanism(50 * C, 4), Z * C, 2_000, "clip 50x larger");
    assertTrue(r[1].epsilonLowerBound() > claimedEpsilon(), "unclipped mechanism not flagged: " + r[1].epsilonLowerBound());
  }

  @Test
  void theSizingHolds() {
    // Probability that the halved-noise audit misses, for a threshold t·σ fixed in advance.
    org.apache.commons.math3.distribution.NormalDistribution n = new org.apache.commons.math3.distribution.NormalDistribution(null, 0, 1);
    for (double t = 2.7; t <= 3.3; t += 0.01) {
      double pB = 1 - n.cumulativeProbability(t);
      double pA = 1 - n.cumulativeProbability(t - 2 / Z); // shift C over noise σ/2 = Z·C/2
      double hit = ThresholdAudit.probabilityBoundExceeds(pA, pB, TRIALS / 2, DELTA, claimedEpsilon(), STRICT);
      assertTrue(1 - hit <= 1e-6, "halved noise missed with probability " + (1 - hit) + " at t = " + t);
    }
  }
}
