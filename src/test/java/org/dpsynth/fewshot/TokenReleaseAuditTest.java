package org.dpsynth.fewshot;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.math3.distribution.BetaDistribution;
import org.dpsynth.foundation.Generator;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.dpsynth.privacy.NoiseSource;
import org.dpsynth.privacy.PldAccountant;
import org.dpsynth.privacy.SeededNoise;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/**
 * Empirical privacy audit of one per-token release (Jagielski et al. 2020 style): neighbouring
 * datasets D (three users with two records each) and D' (plus a target user with three records),
 * many runs of the job's own pipeline functions — {@code draws} (secret Poisson sampling, subset
 * and example choice), {@code subsetDistribution} (the prompt with at most cap examples, the
 * restricted, quantised distribution), {@code FillEmptySubsets.fill} (empty subsets take the
 * public prompt's distribution, so M stays fixed) — and the grid Gaussian release with stddev
 * z·Δ; a threshold test on the released vector, and the Clopper–Pearson lower bound ε_lo =
 * log((TPR_lo − δ)/FPR_hi). The model is the worst case for the target: any prompt holding one of
 * its records puts all mass on the first candidate, every other prompt on the second, so the
 * target turns its subset's distribution from (0, 1) into (1, 0) (distance √2 = Δ).
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

  /** Next-token model that is worst case for the target: its records decide the whole distribution. */
  static final class WorstCaseModel implements Generator {
    @Override
    public List<String> random(String label, int n, long seed) {
      throw new UnsupportedOperationException("not used by the token release");
    }

    @Override
    public List<String> variation(List<String> texts, double degree, long seed) {
      throw new UnsupportedOperationException("not used by the token release");
    }

    @Override
    public List<Generator.TokenLogProb> topTokens(String prompt, int k) {
      return List.of(new Generator.TokenLogProb(prompt.contains("canary") ? "canary" : "plain", 0.0));
    }
  }

  /** The largest Clopper–Pearson ε lower bound over the two a-priori thresholds. */
  private static double audit(double stddev, long seed) {
    Generator model = new WorstCaseModel();
    List<String> candidates = List.of("canary", "plain");
    GridGaussianMechanism mech = TokenDistributions.mechanism(2);
    String publicPrompt = FewShotPrompts.generation("Short texts.", List.of(), "food", List.of());
    long[] pub = mech.quantize(TokenDistributions.restricted(model, publicPrompt, candidates));
    FewShotGeneration.Active active = new FewShotGeneration.Active(0, 0, 0, "food", List.of(), candidates, pub);
    SecretSampler sampler = new SecretSampler(new byte[32]);
    List<FewShotGeneration.UserPool> others = List.of(
        new FewShotGeneration.UserPool("u1", 0, new String[] {"bread and soup", "wine at dinner"}),
        new FewShotGeneration.UserPool("u2", 0, new String[] {"a cake for tea", "cheese please"}),
        new FewShotGeneration.UserPool("u3", 0, new String[] {"spicy curry", "rice and beans"}));
    FewShotGeneration.UserPool target = new FewShotGeneration.UserPool("target", 0,
        new String[] {"the canary eats seed", "a canary sings", "canary yellow soup"});
    NoiseSource noise = new SeededNoise(seed);
    double unit = Math.sqrt(2) * Z * TokenDistributions.SENSITIVITY; // stddev of s at the claimed noise
    double[] thresholds = {-2 + 2.55 * unit, -2 + 1.275 * unit};
    long[][] hits = new long[2][thresholds.length];
    for (int world = 0; world < 2; world++) {
      List<FewShotGeneration.UserPool> pool = new ArrayList<>(others);
      if (world == 1) {
        pool.add(target);
      }
      for (int run = 0; run < RUNS; run++) {
        FewShotGeneration.StepPlan plan = new FewShotGeneration.StepPlan(List.of(active), sampler, Q, M, 4, run, "Short texts.", null);
        Map<Integer, List<Tuple2<Long, String>>> subsets = new TreeMap<>();
        for (FewShotGeneration.UserPool u : pool) {
          for (Tuple2<Integer, Tuple2<Long, String>> d : FewShotGeneration.draws(plan, u)) {
            subsets.computeIfAbsent(d._1(), k -> new ArrayList<>()).add(d._2());
          }
        }
        long[] sum = new long[2];
        for (List<Tuple2<Long, String>> examples : subsets.values()) {
          GridGaussianMechanism.addInto(sum, FewShotGeneration.subsetDistribution(plan, model, active, examples));
        }
        sum = FewShotGeneration.FillEmptySubsets.fill(sum, pub, M - subsets.size());
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
