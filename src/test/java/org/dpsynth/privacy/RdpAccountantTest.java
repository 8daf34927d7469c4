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
