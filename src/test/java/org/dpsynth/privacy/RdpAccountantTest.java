package org.dpsynth.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class RdpAccountantTest {

  @Test
  void withoutSubsamplingItIsTheGaussianRdpCurve() {
    for (double z : new double[] {0.5, 1, 3}) {
      for (int a : new int[] {2, 7, 64}) {
        assertEquals(a / (2 * z * z), RdpAccountant.rdpOfStep(1.0, z, a), 1e-12);
        // The binomial sum at q -> 1 approaches the same curve.
        assertEquals(a / (2 * z * z), RdpAccountant.rdpOfStep(1 - 1e-12, z, a), 1e-6 * a / (z * z));
      }
    }
  }

  @Test
  void atQOneItIsNeverBelowTheExactGaussianDpAnswerAndClose() {
    // RDP conversion is an upper bound; exact mu-GDP is the truth for the Gaussian mechanism.
    for (double z : new double[] {1, 2.8284271, 5}) {
      for (long t : new long[] {1, 5, 100}) {
        double exact = GaussianAccountant.epsilon(List.of(new GaussianAccountant.GaussianRelease(z, 1, t)), 1e-5);
        double rdp = RdpAccountant.epsilon(1.0, z, t, 1e-5);
        assertTrue(rdp >= exact, "z=" + z + " T=" + t + ": RDP " + rdp + " < exact " + exact);
        assertTrue(rdp <= exact * 1.25 + 0.05, "z=" + z + " T=" + t + ": RDP " + rdp + " far above exact " + exact);
      }
    }
  }

  // Published: google/differential-privacy, python/dp_accounting/dp_accounting/rdp/
  // rdp_privacy_accountant_test.py, test_compute_rdp_poisson_sampled_gaussian: q = 0.01, noise
  // 2.5, 50 steps has RDP 2.18075656e-03 at order 5 and 2.38460375e-02 at order 50 (rtol 1e-4).
  @Test
  void matchesDpAccountingRdpOfTheSampledGaussian() {
    assertEquals(2.18075656e-03, 50 * RdpAccountant.rdpOfStep(0.01, 2.5, 5), 1e-4 * 2.18075656e-03);
    assertEquals(2.38460375e-02, 50 * RdpAccountant.rdpOfStep(0.01, 2.5, 50), 1e-4 * 2.38460375e-02);
  }

  // Published: same file, test_compute_epsilon_delta_gaussian: one Gaussian with noise 4.530877117
  // is exactly (1, 1e-6)-DP by RDP over the orders 1.000, 1.001, ..., 99.999; our integer orders are
  // a subset there, so at least 1 and (the optimum being near an integer) within 1e-5 of it.
  // pytorch/opacus, opacus/tests/accountants_test.py, test_rdp_accountant: q = 0.04, noise 1.5,
  // 2250 steps, delta 1e-5 gives 7.32911117143 over Opacus's orders (fractional ones included).
  @Test
  void matchesPublishedRdpEpsilons() {
    double gaussian = RdpAccountant.epsilon(1.0, 4.530877117, 1, 1e-6);
    assertTrue(gaussian >= 1 - 1e-9 && gaussian <= 1 + 1e-5, "epsilon " + gaussian);
    double opacus = RdpAccountant.epsilon(0.04, 1.5, 2250, 1e-5);
    assertTrue(opacus >= 7.32911117143 - 1e-9 && opacus <= 7.32911117143 * 1.001, "epsilon " + opacus);
  }

  @Test
  void subsamplingAmplifiesAndEpsilonIsMonotone() {
    double full = RdpAccountant.epsilon(1.0, 1.0, 100, 1e-5);
    double sub = RdpAccountant.epsilon(0.01, 1.0, 100, 1e-5);
    assertTrue(sub < full / 10, "q=0.01 amplifies: " + sub + " vs " + full);
    assertTrue(RdpAccountant.epsilon(0.01, 1.0, 1000, 1e-5) > sub, "more steps cost more");
    assertTrue(RdpAccountant.epsilon(0.01, 2.0, 100, 1e-5) < sub, "more noise costs less");
    assertTrue(RdpAccountant.epsilon(0.02, 1.0, 100, 1e-5) > sub, "a higher rate costs more");
  }

  @Test
  void calibrationLandsOnTheSafeSideOfTheTarget() {
    for (double q : new double[] {0.001, 0.05, 1.0}) {
      double z = RdpAccountant.calibrateNoiseMultiplier(q, 4.0, 1e-6, 500);
      double eps = RdpAccountant.epsilon(q, z, 500, 1e-6);
      assertTrue(eps <= 4.0, "q=" + q + ": " + eps);
      assertTrue(RdpAccountant.epsilon(q, z * (1 - 1e-5), 500, 1e-6) > 4.0 * (1 - 1e-3), "tight, q=" + q);
    }
  }

  @Test
  void badArgumentsNameTheParameter() {
    assertTrue(assertThrows(IllegalArgumentException.class, () -> RdpAccountant.epsilon(0, 1, 1, 1e-5)).getMessage().contains("q"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> RdpAccountant.epsilon(0.1, -1, 1, 1e-5)).getMessage().contains("noise"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> RdpAccountant.epsilon(0.1, 1, 0, 1e-5)).getMessage().contains("steps"));
    assertTrue(assertThrows(IllegalArgumentException.class, () -> RdpAccountant.epsilon(0.1, 1, 1, 1)).getMessage().contains("delta"));
  }
}
