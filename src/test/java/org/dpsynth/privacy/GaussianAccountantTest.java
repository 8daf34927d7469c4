package org.dpsynth.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.commons.math3.distribution.NormalDistribution;
import org.dpsynth.privacy.GaussianAccountant.GaussianRelease;
import org.junit.jupiter.api.Test;

class GaussianAccountantTest {

  private static final double[] DELTAS = {1e-3, 1e-5, 1e-9, 1e-12};

  @Test
  void knownValueFiveReleasesOfSigmaTwoRootTwo() {
    double sigma = 2 * Math.sqrt(2);
    double eps = GaussianAccountant.epsilon(List.of(new GaussianRelease(sigma, 1, 5)), 1e-5);
    assertEquals(3.341, eps, 0.01);
    // Composition: μ = √5/(2√2) exactly as five separate single releases.
    List<GaussianRelease> separate =
        java.util.Collections.nCopies(5, new GaussianRelease(sigma, 1, 1));
    assertEquals(Math.sqrt(5) / sigma, GaussianAccountant.mu(separate), 1e-15);
    assertEquals(eps, GaussianAccountant.epsilon(separate, 1e-5), 1e-12 * eps);
  }

  @Test
  void knownValueSingleGaussianLn3() {
    double z = GaussianAccountant.calibrateNoiseMultiplier(Math.log(3), 1e-5, 1);
    double variance = z * z;
    // Google's Java library returns 11.735977 because it rounds σ up to 1e-3 relative accuracy.
    assertEquals(11.728, variance, 11.728 * 1e-3);
    assertTrue(variance <= 11.735977, "variance " + variance);
    assertTrue(GaussianAccountant.epsilonForNoiseMultiplier(z, 1, 1e-5) <= Math.log(3));
  }

  @Test
  void sensitivityScalesLikeNoise() {
    double a = GaussianAccountant.epsilon(List.of(new GaussianRelease(3, 1, 4)), 1e-6);
    double b = GaussianAccountant.epsilon(List.of(new GaussianRelease(6, 2, 4)), 1e-6);
    double c = GaussianAccountant.epsilon(List.of(new GaussianRelease(3, 2, 4)), 1e-6);
    assertEquals(a, b, 1e-12 * a);
    assertTrue(c > a);
  }

  @Test
  void logPhiMatchesHighPrecisionReference() {
    double[] xs = {-38, -30, -20.5, -12, -8, -5.5, -3.2, -2.0000001, -2, -1.9999999, -1.3, -0.5,
        -1e-8, 0, 1e-8, 0.7, 1.99, 2, 2.01, 3.7, 6, 9};
    for (double x : xs) {
      double ref = HighPrecisionNormal.logPhi(x);
      double got = GaussianAccountant.logPhi(x);
      assertEquals(ref, got, 1e-14 * Math.abs(ref) + 1e-300, "log Phi(" + x + ")");
    }
    // Far tail: log Φ(x) = −x²/2 − log(−x) − ½ log 2π + log(1 − 1/x² + 3/x⁴ − ...).
    for (double x : new double[] {-1e3, -1e6, -1e10, -1e100}) {
      double t = -x;
      double expected =
          -0.5 * t * t - Math.log(t) - 0.5 * Math.log(2 * Math.PI) + Math.log1p(-1 / (t * t));
      assertEquals(expected, GaussianAccountant.logPhi(x), 1e-15 * Math.abs(expected));
    }
    assertEquals(Double.NEGATIVE_INFINITY, GaussianAccountant.logPhi(-1e200));
    assertEquals(0.0, GaussianAccountant.logPhi(1e10), 1e-300);
  }

  @Test
  void deltaMatchesHighPrecisionReference() {
    double[] mus = {1e-9, 1e-6, 1e-3, 0.05, 0.5, 1, 1.58, 3, 10, 30};
    double[] epss = {0, 1e-3, 0.1, 1, 3.3, 10, 50};
    double worst = 0;
    int checked = 0;
    for (double mu : mus) {
      for (double eps : epss) {
        double a = -eps / mu + mu / 2;
        if (a < -37) {
          // δ < Φ(a) < 1e-299: only check that we give (essentially) zero.
          assertTrue(GaussianAccountant.delta(mu, eps) < 1e-290);
          continue;
        }
        double ref = HighPrecisionNormal.delta(mu, eps);
        double got = GaussianAccountant.delta(mu, eps);
        if (ref < 1e-300) {
          assertTrue(got < 1e-290, "mu=" + mu + " eps=" + eps + " got " + got);
          continue;
        }
        double rel = Math.abs(got - ref) / ref;
        worst = Math.max(worst, rel * 1e-9 / GaussianAccountant.deltaRelativeErrorBound(mu));
        checked++;
        assertTrue(
            rel < GaussianAccountant.deltaRelativeErrorBound(mu),
            "mu=" + mu + " eps=" + eps + " ref=" + ref + " got=" + got + " rel=" + rel);
      }
    }
    System.out.printf("delta vs BigDecimal: %d points, worst relative error %.3g of 1e-9 bound%n", checked, worst);
    assertTrue(checked > 30);
  }

  @Test
  void deltaMatchesDirectDoubleEvaluationWhereThatIsAccurate() {
    NormalDistribution n = new NormalDistribution(0, 1);
    for (double mu : new double[] {0.3, 1, 2, 5}) {
      for (double eps : new double[] {0, 0.5, 1, 2, 4}) {
        double direct =
            n.cumulativeProbability(-eps / mu + mu / 2)
                - Math.exp(eps) * n.cumulativeProbability(-eps / mu - mu / 2);
        if (direct < 1e-6) {
          continue; // the direct difference loses digits here
        }
        assertEquals(direct, GaussianAccountant.delta(mu, eps), 1e-12 * direct);
      }
    }
  }

  @Test
  void deltaIsMonotoneAndBounded() {
    for (double mu : new double[] {0.1, 1, 7}) {
      double prev = 1;
      for (double eps = 0; eps < 60; eps += 0.25) {
        double d = GaussianAccountant.delta(mu, eps);
        assertTrue(d >= 0 && d <= prev, "mu=" + mu + " eps=" + eps);
        prev = d;
      }
    }
    // δ(0) = 2Φ(μ/2) − 1.
    assertEquals(
        2 * new NormalDistribution(0, 1).cumulativeProbability(0.5) - 1,
        GaussianAccountant.delta(1, 0),
        1e-14);
  }

  @Test
  void epsilonIsSafeAndTight() {
    for (double mu : new double[] {1e-4, 0.01, 0.3, 1, 2.5, 10, 100}) {
      for (double delta : DELTAS) {
        double eps = GaussianAccountant.epsilon(mu, delta);
        assertTrue(eps >= 0 && Double.isFinite(eps));
        assertTrue(GaussianAccountant.delta(mu, eps) <= delta, "mu=" + mu + " delta=" + delta);
        if (eps > 0) {
          // Slightly smaller ε is not enough: the answer is the smallest such ε.
          double smaller = eps * (1 - 1e-8);
          assertTrue(GaussianAccountant.delta(mu, smaller) > delta * (1 - 1e-6),
              "not tight at mu=" + mu + " delta=" + delta);
        } else {
          assertTrue(GaussianAccountant.delta(mu, 0) <= delta);
        }
      }
    }
  }

  @Test
  void epsilonZeroWhenDeltaAtZeroAlreadyMet() {
    // δ(0) = 2Φ(μ/2) − 1 ≈ 4e-7 for μ = 1e-6.
    assertEquals(0.0, GaussianAccountant.epsilon(1e-6, 1e-3));
    assertTrue(GaussianAccountant.epsilon(1e-6, 1e-9) > 0);
  }

  @Test
  void epsilonMonotoneInSigmaAndSteps() {
    for (double delta : DELTAS) {
      for (long steps : new long[] {1, 10, 1000}) {
        double prev = Double.POSITIVE_INFINITY;
        for (double sigma = 0.3; sigma < 200; sigma *= 1.7) {
          double eps = GaussianAccountant.epsilonForNoiseMultiplier(sigma, steps, delta);
          assertTrue(eps <= prev, "eps must fall as sigma rises");
          assertTrue(eps < prev || eps == 0);
          prev = eps;
        }
      }
      for (double sigma : new double[] {0.8, 5, 60}) {
        double prev = -1;
        for (long steps = 1; steps <= 100_000; steps *= 3) {
          double eps = GaussianAccountant.epsilonForNoiseMultiplier(sigma, steps, delta);
          assertTrue(eps >= prev && (eps > prev || eps == 0), "eps must rise with steps");
          prev = eps;
        }
      }
    }
  }

  @Test
  void calibrationRoundTripsOnTheSafeSide() {
    for (double eps : new double[] {0.05, 0.5, 1, 3, 8, 50}) {
      for (double delta : DELTAS) {
        for (long steps : new long[] {1, 20, 100_000}) {
          double z = GaussianAccountant.calibrateNoiseMultiplier(eps, delta, steps);
          double back = GaussianAccountant.epsilonForNoiseMultiplier(z, steps, delta);
          String where = "eps=" + eps + " delta=" + delta + " steps=" + steps;
          assertTrue(back <= eps, where + " back=" + back);
          assertTrue(back >= eps * (1 - 1e-6), where + " back=" + back);
          // A little less noise would break the target.
          double less = GaussianAccountant.epsilonForNoiseMultiplier(z * (1 - 1e-6), steps, delta);
          assertTrue(less > eps, where);
        }
      }
    }
  }

  @Test
  void extremeInputsGiveFiniteAnswers() {
    // ε = 50: e^50 ≈ 5e21 is never formed; the tiny difference still comes out right.
    double d50 = GaussianAccountant.delta(5, 50);
    assertTrue(d50 > 0 && d50 < 1e-13, "delta(5, 50) = " + d50);
    assertEquals(HighPrecisionNormal.delta(5, 50), d50, 1e-9 * d50);
    // δ(1, 50) < Φ(−49.5) ≈ 1e-534 is below the double range.
    assertEquals(0.0, GaussianAccountant.delta(1, 50));
    assertTrue(GaussianAccountant.delta(1e-9, 50) == 0);
    assertEquals(1.0, GaussianAccountant.delta(1e200, 1), 1e-15);
    double e = GaussianAccountant.epsilon(1000, 1e-12);
    assertTrue(Double.isFinite(e) && e > 500_000 - 1 && e < 600_000, "eps=" + e);
    double z = GaussianAccountant.calibrateNoiseMultiplier(50, 1e-12, 100_000);
    assertTrue(Double.isFinite(z) && z > 0);
    double small = GaussianAccountant.calibrateNoiseMultiplier(1e-4, 1e-12, 100_000);
    assertTrue(Double.isFinite(small) && small > 1e4);
    IllegalArgumentException huge =
        assertThrows(IllegalArgumentException.class, () -> GaussianAccountant.epsilon(1e300, 1e-5));
    assertTrue(huge.getMessage().contains("mu"));
  }

  @Test
  void invalidArgumentsNameTheParameterAndRange() {
    assertMessage(() -> GaussianAccountant.calibrateNoiseMultiplier(0, 1e-5, 1), "epsilon", "> 0");
    assertMessage(() -> GaussianAccountant.calibrateNoiseMultiplier(-1, 1e-5, 1), "epsilon", "> 0");
    assertMessage(
        () -> GaussianAccountant.calibrateNoiseMultiplier(Double.NaN, 1e-5, 1), "epsilon", "> 0");
    assertMessage(
        () -> GaussianAccountant.calibrateNoiseMultiplier(Double.POSITIVE_INFINITY, 1e-5, 1),
        "epsilon",
        "finite");
    assertMessage(() -> GaussianAccountant.calibrateNoiseMultiplier(1, 0, 1), "delta", "(0, 1)");
    assertMessage(() -> GaussianAccountant.calibrateNoiseMultiplier(1, 1, 1), "delta", "(0, 1)");
    assertMessage(
        () -> GaussianAccountant.calibrateNoiseMultiplier(1, Double.NaN, 1), "delta", "(0, 1)");
    assertMessage(() -> GaussianAccountant.calibrateNoiseMultiplier(1, 1e-5, 0), "steps", ">= 1");
    assertMessage(() -> new GaussianRelease(0, 1, 1), "noiseStddev", "> 0");
    assertMessage(() -> new GaussianRelease(-2, 1, 1), "noiseStddev", "> 0");
    assertMessage(() -> new GaussianRelease(Double.NaN, 1, 1), "noiseStddev", "> 0");
    assertMessage(() -> new GaussianRelease(1, Double.POSITIVE_INFINITY, 1), "sensitivity", "finite");
    assertMessage(() -> new GaussianRelease(1, 1, 0), "steps", ">= 1");
    assertMessage(() -> GaussianAccountant.epsilon(0, 1e-5), "mu", "> 0");
    assertMessage(() -> GaussianAccountant.epsilon(1, 1.5), "delta", "(0, 1)");
    assertMessage(() -> GaussianAccountant.delta(1, -1), "epsilon", ">= 0");
    assertMessage(() -> GaussianAccountant.delta(1, Double.NaN), "epsilon", ">= 0");
    assertMessage(() -> GaussianAccountant.delta(Double.NaN, 1), "mu", "> 0");
  }

  @Test
  void emptyCompositionCostsNothing() {
    assertEquals(0.0, GaussianAccountant.epsilon(List.of(), 1e-5));
    assertEquals(0.0, GaussianAccountant.mu(List.of()));
  }

  private static void assertMessage(Runnable r, String... parts) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::run);
    for (String p : parts) {
      assertTrue(e.getMessage().contains(p), "message '" + e.getMessage() + "' lacks " + p);
    }
  }
}
