package org.dpsynth.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class PldAccountantTest {

  // Published: google/differential-privacy, python/dp_accounting/dp_accounting/pld/
  // pld_privacy_accountant_test.py, test_poisson_subsampled_gaussian and
  // test_self_composed_subsampled_gaussian: PoissonSampled(0.2, Gaussian(0.5)) composed 3 times
  // has delta = 0.15594 at epsilon = 1 (add-or-remove-one, PLDAccountant defaults).
  @Test
  void matchesDpAccountingPoissonSubsampledGaussian() {
    double delta = PldAccountant.delta(0.2, 0.5, 3, 1.0);
    assertEquals(0.15594, delta, 0.01 * 0.15594, "delta " + delta);
    double eps = PldAccountant.epsilon(0.2, 0.5, 3, 0.15594);
    assertEquals(1.0, eps, 0.01, "epsilon " + eps);
  }

  // Published: same file, test_gaussian_basic: Gaussian(sqrt 3) composed 3 times (mu = 1) has
  // delta = 0.126936 at epsilon = 1.
  @Test
  void matchesDpAccountingGaussian() {
    double delta = PldAccountant.delta(1.0, Math.sqrt(3), 3, 1.0);
    assertEquals(0.126936, delta, 0.01 * 0.126936, "delta " + delta);
  }

  @Test
  void qOneEqualsExactGaussianDpOnTheSafeSide() {
    for (double z : new double[] {1.0, 3.0}) {
      for (long t : new long[] {1, 20}) {
        double exact = GaussianAccountant.epsilonForNoiseMultiplier(z, t, 1e-5);
        double pld = PldAccountant.epsilon(1.0, z, t, 1e-5);
        assertTrue(pld >= exact - 1e-9, "z=" + z + " T=" + t + ": PLD " + pld + " below exact " + exact);
        // Pessimistic rounding adds at most T*h to every loss.
        assertTrue(pld <= exact + t * PldAccountant.DEFAULT_GRID + 1e-6,
            "z=" + z + " T=" + t + ": PLD " + pld + " vs exact " + exact);
        assertEquals(exact, pld, 0.01 * exact, "within 1%");
      }
    }
  }

  // RDP is an upper bound too, but looser; PLD's own pessimism grows like T*h (so a 14,000-step
  // DP-SGD run needs a finer grid than the default to beat RDP).
  @Test
  void tighterThanRdpButNotByMuch() {
    double[][] cases = {{0.01, 1.0, 1000}, {0.05, 2.0, 300}, {0.2, 1.5, 50}};
    for (double[] c : cases) {
      double pld = PldAccountant.epsilon(c[0], c[1], (long) c[2], 1e-5);
      double rdp = RdpAccountant.epsilon(c[0], c[1], (long) c[2], 1e-5);
      assertTrue(pld <= rdp, "q=" + c[0] + ": PLD " + pld + " > RDP " + rdp);
      assertTrue(pld >= 0.6 * rdp, "q=" + c[0] + ": PLD " + pld + " far below RDP " + rdp);
    }
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
  void heterogeneousCompositionMatchesHomogeneous() {
    var a = new PldAccountant.SubsampledGaussian(0.1, 1.2, 20);
    var b = new PldAccountant.SubsampledGaussian(0.1, 1.2, 30);
    double split = PldAccountant.epsilon(List.of(a, b), 1e-6, PldAccountant.DEFAULT_GRID);
    double whole = PldAccountant.epsilon(0.1, 1.2, 50, 1e-6);
    assertEquals(whole, split, 1e-3);
  }

  @Test
  void calibrationIsOnTheSafeSideAndTight() {
    for (double[] c : new double[][] {{0.1, 2.0, 30}}) {
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
  }
}
