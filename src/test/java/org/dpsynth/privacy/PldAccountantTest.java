package org.dpsynth.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PldAccountantTest {

  private static PldAccountant.SubsampledGaussian sg(double q, double z, long steps) {
    return new PldAccountant.SubsampledGaussian(q, z, steps);
  }

  // Published: google/differential-privacy, python/dp_accounting/dp_accounting/pld/
  // pld_privacy_accountant_test.py, test_poisson_subsampled_gaussian and
  // test_self_composed_subsampled_gaussian: PoissonSampled(0.2, Gaussian(0.5)) composed 3 times
  // has delta = 0.15594 at epsilon = 1 (add-or-remove-one, PLDAccountant defaults).
  @Test
  void matchesDpAccountingPoissonSubsampledGaussian() {
    double delta = PldAccountant.delta(0.2, 0.5, 3, 1.0);
    assertEquals(0.15594, delta, 1e-4, "delta " + delta);
    double eps = PldAccountant.epsilon(0.2, 0.5, 3, 0.15594);
    assertEquals(1.0, eps, 1e-3, "epsilon " + eps);
  }

  // Published: same file, test_gaussian_basic: Gaussian(sqrt 3) composed 3 times (mu = 1) has
  // delta = 0.126936 at epsilon = 1.
  @Test
  void matchesDpAccountingGaussian() {
    double delta = PldAccountant.delta(1.0, Math.sqrt(3), 3, 1.0);
    assertEquals(0.126936, delta, 1e-5, "delta " + delta);
    assertTrue(delta >= GaussianAccountant.delta(1.0, 1.0), "below the exact Gaussian curve: " + delta);
  }

  // Published: tensorflow/privacy, tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py,
  // test_compute_dp_sgd_example_privacy (dp_accounting PLDAccountant, interval 1e-4, delta = 1e-5):
  // 1.2 epochs at Poisson rate 0.01 is ceil(1.2 / 0.01) = 120 steps; noise 0.7, or 0.35 with
  // microbatching; without subsampling 2 Gaussian steps. And test_dp_sgd_privacy_statement_*_pld:
  // 10000 examples, batch 64 (q = 0.0064), 5 epochs (782 steps), noise 2.0 halved by microbatching,
  // delta = 1e-6: epsilon 1.199 (printed to 3 decimals). Both accountants are upper bounds with
  // different discretisations; they agree to 0.01% (they share no code).
  @Test
  void matchesTensorFlowPrivacyPldValues() {
    double[][] cases = {
      {0.01, 0.7, 120, 1e-5, 2.4612381},
      {0.01, 0.35, 120, 1e-5, 18.6977407},
      {1.0, 0.7, 2, 1e-5, 10.1224946},
      {1.0, 0.35, 2, 1e-5, 24.7160779},
    };
    for (double[] c : cases) {
      double eps = PldAccountant.epsilon(c[0], c[1], (long) c[2], c[3]);
      assertEquals(c[4], eps, 1e-4 * c[4], "q=" + c[0] + " z=" + c[1] + ": " + eps);
    }
    assertEquals(1.199, PldAccountant.epsilon(0.0064, 1.0, 782, 1e-6), 0.0005);
  }

  // The reference DP-SGD case of issue 14: MNIST, batch 256 of 60,000 (q = 0.0042666667), noise
  // 1.1, 60 epochs = 14,062 steps, delta = 1e-5. The PRV/PLD accountants of the Python ecosystem
  // report about 2.38 (RDP: 2.60); the old round-up discretisation gave 3.08, worse than RDP.
  @Test
  void mnistDpSgdIsTightOnFourteenThousandSteps() {
    double eps = PldAccountant.epsilon(0.0042666667, 1.1, 14062, 1e-5);
    assertEquals(2.38, eps, 0.01 * 2.38, "epsilon " + eps);
    double rdp = RdpAccountant.epsilon(0.0042666667, 1.1, 14062, 1e-5);
    assertTrue(eps < rdp - 0.2, "PLD " + eps + " vs RDP " + rdp);
    // Refining the grid 4x moves the bound down by less than 1e-3: the discretisation error does
    // not grow like T·h (it would be 1.4 here at h = 1e-4).
    var mnist = List.of(sg(0.0042666667, 1.1, 14062));
    double finer = PldAccountant.epsilon(mnist, 1e-5, PldAccountant.grid(mnist) / 4);
    assertTrue(finer <= eps && eps - finer < 1e-3, "auto grid " + eps + " vs 4x finer " + finer);
  }

  @Test
  void qOneIsTheExactGaussianCurveOnTheSafeSide() {
    for (double z : new double[] {0.5, 1.0, 3.0, 4.530877117}) {
      for (long t : new long[] {1, 20, 1000}) {
        double exact = GaussianAccountant.epsilonForNoiseMultiplier(z, t, 1e-5);
        double pld = PldAccountant.epsilon(1.0, z, t, 1e-5);
        assertTrue(pld >= exact, "z=" + z + " T=" + t + ": PLD " + pld + " below exact " + exact);
        assertTrue(pld <= exact * (1 + 1e-5), "z=" + z + " T=" + t + ": PLD " + pld + " vs exact " + exact);
      }
    }
  }

  // Published: microsoft/prv_accountant, tests/test_accountant.py,
  // test_gaussian_mechanism_analytic_heterogeneous: Gaussians with noise 10 and 5, 50 steps each,
  // have mu = sqrt(50/10² + 50/5²) and their delta at epsilon 4 is the exact mu-GDP curve.
  @Test
  void heterogeneousGaussiansComposeExactly() {
    var releases = List.of(sg(1.0, 10.0, 50), sg(1.0, 5.0, 50));
    double exact = GaussianAccountant.delta(Math.sqrt(50 / 100.0 + 50 / 25.0), 4);
    double pld = PldAccountant.delta(releases, 4);
    assertTrue(pld >= exact && pld <= exact * (1 + 1e-5), "PLD " + pld + " vs exact " + exact);
  }

  /**
   * An independent reference for subsampled compositions: the exact one-step δ(ε) in closed form
   * (normal CDFs at the threshold x(ε)), and T = 2 as the 1-D integral ∫ p(x)·δ₁(ε − L(x)) dx by
   * Simpson's rule on 10⁵ panels over ±12 standard deviations (it agrees with 4·10⁵ panels to
   * 1e-9 relative, below the 1e-8 to 1e-5 by which PLD exceeds the exact curve).
   */
  @Test
  void oneAndTwoStepsMatchTheExactCurvesFromAbove() {
    double[][] cases = {{0.2, 0.5, 1.0}, {0.01, 0.7, 1.0}, {0.05, 1.0, 0.3}, {0.5, 1.5, 0.5}};
    for (double[] c : cases) {
      double q = c[0];
      double z = c[1];
      double eps = c[2];
      double exact1 = Math.max(ExactCurve.removeOneStep(q, z, eps), ExactCurve.addOneStep(q, z, eps));
      double exact2 = Math.max(ExactCurve.twoSteps(q, z, eps, true), ExactCurve.twoSteps(q, z, eps, false));
      double pld1 = PldAccountant.delta(q, z, 1, eps);
      double pld2 = PldAccountant.delta(q, z, 2, eps);
      String what = "q=" + q + " z=" + z + " eps=" + eps;
      assertTrue(pld1 >= exact1 && pld1 <= exact1 * (1 + 1e-4), what + " T=1: " + pld1 + " vs " + exact1);
      assertTrue(pld2 >= exact2 && pld2 <= exact2 * (1 + 1e-4), what + " T=2: " + pld2 + " vs " + exact2);
    }
    // Test of the test: 3% less noise than accounted for is caught by the same comparison.
    double exact = ExactCurve.twoSteps(0.2, 0.5 * 0.97, 1.0, true);
    assertTrue(PldAccountant.delta(0.2, 0.5, 2, 1.0) < exact, "a mechanism with too little noise passes");
  }

  // RDP is an upper bound too (looser); PLD must never be above it, on a grid of rates, noise
  // multipliers, step counts and deltas (including 10,000-step compositions). How far below it may
  // be varies widely (20x for one step at q = 0.001); tightness is checked against exact curves.
  @Test
  void neverAboveRdp() {
    for (double q : new double[] {1e-3, 0.01, 0.1, 1.0}) {
      for (double z : new double[] {0.6, 1.0, 3.0}) {
        for (long t : new long[] {1, 100, 10_000}) {
          for (double delta : new double[] {1e-5, 1e-8}) {
            double pld = PldAccountant.epsilon(q, z, t, delta);
            double rdp = RdpAccountant.epsilon(q, z, t, delta);
            String what = "q=" + q + " z=" + z + " T=" + t + " delta=" + delta;
            assertTrue(pld <= rdp, what + ": PLD " + pld + " > RDP " + rdp);
          }
        }
      }
    }
  }

  // Published: pytorch/opacus, opacus/tests/accountants_test.py, test_rdp_accountant: q = 0.04,
  // noise 1.5, 2250 steps, delta = 1e-5 has RDP epsilon 7.32911117143; PLD is below it.
  @Test
  void belowOpacusRdpValue() {
    double eps = PldAccountant.epsilon(0.04, 1.5, 2250, 1e-5);
    assertTrue(eps < 7.32911117143 && eps > 6.0, "epsilon " + eps);
  }

  @Test
  void subsamplingAmplifiesAndMonotone() {
    double sub = PldAccountant.epsilon(0.05, 1.0, 100, 1e-5);
    assertTrue(sub < GaussianAccountant.epsilonForNoiseMultiplier(1.0, 100, 1e-5) / 5);
    assertTrue(PldAccountant.epsilon(0.05, 1.0, 200, 1e-5) > sub);
    assertTrue(PldAccountant.epsilon(0.05, 1.3, 100, 1e-5) < sub);
    assertTrue(PldAccountant.epsilon(0.1, 1.0, 100, 1e-5) > sub);
  }

  @Test
  void heterogeneousCompositionIsConsistent() {
    // Split steps merge into one self-composition: identical to the homogeneous answer.
    double split = PldAccountant.epsilon(List.of(sg(0.1, 1.2, 20), sg(0.1, 1.2, 30)), 1e-6);
    assertEquals(PldAccountant.epsilon(0.1, 1.2, 50, 1e-6), split, 0);
    // Two different DP-SGD phases and a plain Gaussian count release: more than each part, less
    // than RDP, and stable under grid refinement.
    var mixed = List.of(sg(0.01, 1.0, 2000), sg(0.02, 1.5, 500), sg(1.0, 10.0, 2));
    double eps = PldAccountant.epsilon(mixed, 1e-6);
    assertTrue(eps > PldAccountant.epsilon(List.of(sg(0.01, 1.0, 2000)), 1e-6));
    assertTrue(eps > PldAccountant.epsilon(List.of(sg(0.02, 1.5, 500)), 1e-6));
    double rdp = RdpAccountant.epsilon(mixed.stream()
        .map(r -> new RdpAccountant.SubsampledRelease(r.q(), r.noiseMultiplier(), r.steps())).toList(), 1e-6);
    assertTrue(eps < rdp, "PLD " + eps + " vs RDP " + rdp);
    double finer = PldAccountant.epsilon(mixed, 1e-6, PldAccountant.grid(mixed) / 4);
    assertTrue(finer <= eps && eps - finer < 1e-3 * eps, "auto grid " + eps + " vs 4x finer " + finer);
  }

  @Test
  void calibrationIsOnTheSafeSideAndTight() {
    for (double[] c : new double[][] {{0.1, 2.0, 30}, {0.05, 4.0, 32}}) {
      double z = PldAccountant.calibrateNoiseMultiplier(c[0], c[1], 1e-6, (long) c[2]);
      assertTrue(PldAccountant.epsilon(c[0], z, (long) c[2], 1e-6) <= c[1]);
      assertTrue(PldAccountant.epsilon(c[0], z * (1 - 1e-3), (long) c[2], 1e-6) > c[1]);
      assertTrue(z <= RdpAccountant.calibrateNoiseMultiplier(c[0], c[1], 1e-6, (long) c[2]));
    }
  }

  @Test
  void rejectsBadArguments() {
    assertThrows(IllegalArgumentException.class, () -> PldAccountant.epsilon(0, 1, 1, 1e-5));
    assertThrows(IllegalArgumentException.class, () -> PldAccountant.epsilon(0.1, 0, 1, 1e-5));
    assertThrows(IllegalArgumentException.class, () -> PldAccountant.epsilon(0.1, 1, 0, 1e-5));
    assertThrows(IllegalArgumentException.class, () -> PldAccountant.epsilon(0.1, 1, 1, 0));
    assertThrows(IllegalArgumentException.class, () -> PldAccountant.delta(0.1, 1, 1, -1));
    assertThrows(IllegalArgumentException.class,
        () -> PldAccountant.epsilon(List.of(sg(0.1, 1, 1)), 1e-5, -1e-3));
    assertEquals(0, PldAccountant.epsilon(List.of(), 1e-5));
  }

  /** Exact δ(ε) of one and two subsampled Gaussian steps, for the checks above. */
  private static final class ExactCurve {
    private ExactCurve() {}

    private static double lower(double x) {
      return Math.exp(GaussianAccountant.logPhi(x));
    }

    private static double upper(double x) {
      return lower(-x);
    }

    /** Remove direction, any real ε: P(L > ε) − e^ε Q(L > ε) with L > ε ⇔ x > x(ε). */
    static double removeOneStep(double q, double z, double eps) {
      double x = new PldAccountant.Likelihood(q, z).xOfLoss(eps);
      if (x == Double.NEGATIVE_INFINITY) {
        return -Math.expm1(eps); // every loss exceeds ε: E_P[1 − e^{ε − L}] = 1 − e^ε
      }
      return (1 - q) * upper(x / z) + q * upper((x - 1) / z) - Math.exp(eps) * upper(x / z);
    }

    /** Add direction: P = N(0, z²), L_add > ε ⇔ x < x(−ε). */
    static double addOneStep(double q, double z, double eps) {
      double x = new PldAccountant.Likelihood(q, z).xOfLoss(-eps);
      if (x == Double.NEGATIVE_INFINITY) {
        return 0;
      }
      return lower(x / z) - Math.exp(eps) * ((1 - q) * lower(x / z) + q * lower((x - 1) / z));
    }

    static double twoSteps(double q, double z, double eps, boolean remove) {
      var lr = new PldAccountant.Likelihood(q, z);
      double lo = -12 * z;
      double hi = 1 + 12 * z;
      int n = 100_000;
      double w = (hi - lo) / n;
      double norm = 1 / (z * Math.sqrt(2 * Math.PI));
      double sum = 0;
      for (int i = 0; i <= n; i++) {
        double x = lo + i * w;
        double p0 = norm * Math.exp(-x * x / (2 * z * z));
        double p1 = norm * Math.exp(-(x - 1) * (x - 1) / (2 * z * z));
        double f = remove
            ? ((1 - q) * p0 + q * p1) * removeOneStep(q, z, eps - lr.lossRemove(x))
            : p0 * addOneStep(q, z, eps + lr.lossRemove(x));
        sum += f * (i == 0 || i == n ? 1 : (i % 2 == 1 ? 4 : 2));
      }
      return sum * w / 3;
    }
  }
}
