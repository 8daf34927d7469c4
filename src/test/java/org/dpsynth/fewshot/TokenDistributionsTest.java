package org.dpsynth.fewshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.dpsynth.foundation.ngram.LocalGenerator;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.junit.jupiter.api.Test;

class TokenDistributionsTest {

  @Test
  void quantisedDistributionsDifferByAtMostTheStatedSensitivity() {
    SplittableRandom rnd = new SplittableRandom(7);
    for (int k : new int[] {2, 5, 20}) {
      GridGaussianMechanism m = TokenDistributions.mechanism(k);
      double bound = Math.pow(TokenDistributions.SENSITIVITY / m.grid(), 2);
      double worst = 0;
      for (int trial = 0; trial < 2000; trial++) {
        double[] p = randomDistribution(rnd, k, trial % 3 == 0);
        double[] q = randomDistribution(rnd, k, trial % 3 == 0);
        long[] a = m.quantize(p);
        long[] b = m.quantize(q);
        double sq = 0;
        for (int i = 0; i < k; i++) {
          double d = a[i] - b[i];
          sq += d * d;
        }
        worst = Math.max(worst, sq);
        assertTrue(sq <= bound, "k=" + k + ": squared distance " + sq + " > " + bound);
      }
      // Two different point masses attain sqrt(2): the bound is tight, not loose.
      assertTrue(worst >= 0.999 * 2 / (m.grid() * m.grid()), "point masses reach sqrt 2");
    }
  }

  private static double[] randomDistribution(SplittableRandom rnd, int k, boolean pointMass) {
    double[] p = new double[k];
    if (pointMass) {
      p[rnd.nextInt(k)] = 1;
      return p;
    }
    double s = 0;
    for (int i = 0; i < k; i++) {
      p[i] = -Math.log(1 - rnd.nextDouble());
      s += p[i];
    }
    for (int i = 0; i < k; i++) {
      p[i] /= s;
    }
    return p;
  }

  @Test
  void restrictedDistributionIsNormalisedOverThePublicCandidatesAndExamplesShiftIt() {
    LocalGenerator g = LocalGenerator.shared();
    String pub = FewShotPrompts.generation("Fortunes.", List.of(), "food", List.of());
    List<String> cand = TokenDistributions.candidates(g, pub, 10);
    assertEquals(10, cand.size());
    double[] p = TokenDistributions.restricted(g, pub, cand);
    double s = 0;
    for (double x : p) {
      s += x;
    }
    assertEquals(1.0, s, 1e-12);
    // The public prompt's own argmax is its top-1 candidate.
    assertEquals(0, TokenDistributions.argmax(p));
    String priv = FewShotPrompts.generation("Fortunes.",
        List.of("cheese cheese cheese wine bread cheese", "cheese and wine"), "food", List.of());
    double[] p2 = TokenDistributions.restricted(g, priv, cand);
    double diff = 0;
    for (int i = 0; i < p.length; i++) {
      diff += Math.abs(p[i] - p2[i]);
    }
    assertTrue(diff > 1e-6, "examples in the prompt must shift the distribution");
  }

  @Test
  void poissonSamplingRateMatchesQ() {
    // n = 200,000 Bernoulli(0.05) draws: sd of the count = 97.5; |dev| > 5.5 sd has probability < 4e-8.
    SecretSampler s = new SecretSampler(SecretSampler.newKey());
    int n = 200_000;
    int hits = 0;
    for (int i = 0; i < n; i++) {
      if (s.sampled(0.05, "user-" + (i % 1000), i / 1000, 0, 3)) {
        hits++;
      }
    }
    assertEquals(0.05 * n, hits, 5.5 * Math.sqrt(n * 0.05 * 0.95));
    // Another key gives other decisions (secret randomness, not a public function of the user).
    SecretSampler t = new SecretSampler(SecretSampler.newKey());
    int same = 0;
    for (int i = 0; i < 1000; i++) {
      if (s.sampled(0.5, "u" + i, 0, 0, 0) == t.sampled(0.5, "u" + i, 0, 0, 0)) {
        same++;
      }
    }
    assertTrue(same < 700 && same > 300, "independent keys agree on about half: " + same);
  }

  @Test
  void detokenizeJoinsPunctuation() {
    assertEquals("a small, green world!", FewShotPrompts.detokenize(List.of("a", "small", ",", "green", "world", "!")));
  }
}
