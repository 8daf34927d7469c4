package org.dpsynth.privacy.audit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ClopperPearsonTest {
  @Test
  void closedFormsAtTheEnds() {
    // k = 0: upper solves (1-p)^n = alpha; k = n: lower solves p^n = alpha.
    assertEquals(1 - Math.pow(0.025, 1.0 / 10), ClopperPearson.upper(0, 10, 0.025), 1e-9);
    assertEquals(Math.pow(0.025, 1.0 / 10), ClopperPearson.lower(10, 10, 0.025), 1e-9);
    assertEquals(0.0, ClopperPearson.lower(0, 10, 0.025));
    assertEquals(1.0, ClopperPearson.upper(10, 10, 0.025));
  }

  @Test
  void knownInterval() {
    // 5 of 20 at 95% two-sided: (0.0866, 0.4910) (standard tables).
    assertEquals(0.0866, ClopperPearson.lower(5, 20, 0.025), 1e-4);
    assertEquals(0.4910, ClopperPearson.upper(5, 20, 0.025), 1e-4);
  }

  @Test
  void aMechanismWithNoEffectGetsNoPositiveBound() {
    // Identical output distributions: the threshold audit must not claim any epsilon.
    java.util.SplittableRandom r = new java.util.SplittableRandom(3);
    double[] a = new double[20_000];
    double[] b = new double[20_000];
    for (int i = 0; i < a.length; i++) {
      a[i] = r.nextDouble();
      b[i] = r.nextDouble();
    }
    // At confidence 1 - 1e-6 the bound exceeds the true epsilon (0) with probability <= 1e-6.
    ThresholdAudit.Result res = ThresholdAudit.audit(a, b, 0, 1 - 1e-6);
    assertEquals(0.0, res.epsilonLowerBound(), res.toString());
    assertTrue(res.trials() == 10_000);
  }
}
