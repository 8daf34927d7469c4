package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dpsynth.config.ConfigException;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.privacy.GaussianAccountant;
import org.dpsynth.privacy.GaussianAccountant.GaussianRelease;
import org.junit.jupiter.api.Test;

/** The split of a PE run's budget between the label release and the votes ({@code labels.budget_share}). */
class PrivacyPlanTest {

  private static JobConfig config(String... extra) {
    List<String> sets = new ArrayList<>(List.of("labels.names=[a, b]", "labels.proportions=dp", "privacy.epsilon=4",
        "privacy.delta=1e-6", "pe.iterations=3"));
    sets.addAll(List.of(extra));
    return ConfigLoader.load(null, sets);
  }

  @Test
  void withoutAShareEveryReleaseHasTheSameNoiseAsBefore() {
    PrivacyPlan plan = PrivacyPlan.of(config());
    double z = GaussianAccountant.calibrateNoiseMultiplier(4, 1e-6, 4);
    assertEquals(z, plan.noiseMultiplier(), 0.0);
    assertEquals(z, plan.labelNoiseMultiplier(), 0.0);
    assertFalse(plan.splitBudget());
    assertEquals(4, plan.releases());
    assertEquals(GaussianAccountant.epsilonForNoiseMultiplier(z, 4, 1e-6), plan.epsilon(), 0.0);
    assertEquals(GaussianAccountant.epsilonForNoiseMultiplier(z, 2, 1e-6), plan.epsilonAfter(2, 1e-6), 0.0);
  }

  @Test
  void aShareGivesTheLabelReleaseThatPartOfMuSquaredAndTheRunStillMeetsTheTarget() {
    for (double share : new double[] {0.1, 0.5, 0.9}) {
      PrivacyPlan plan = PrivacyPlan.of(config("labels.budget_share=" + share));
      assertTrue(plan.splitBudget());
      double zl = plan.labelNoiseMultiplier();
      double zv = plan.noiseMultiplier();
      double muSquared = 1 / (zl * zl) + 3 / (zv * zv);
      assertEquals(share, (1 / (zl * zl)) / muSquared, 1e-9, "the label release's share of mu^2");
      // The accountant composes exactly these releases: the target is met, never exceeded.
      double eps = GaussianAccountant.epsilon(List.of(new GaussianRelease(zl, 1, 1), new GaussianRelease(zv, 1, 3)), 1e-6);
      assertTrue(eps <= 4.0 && eps > 4.0 - 1e-6, "share " + share + ": epsilon " + eps);
      assertEquals(eps, plan.epsilon(), 1e-12);
      assertEquals(eps, plan.epsilonAfter(4, 1e-6), 1e-12);
      // The label release is the run's first release.
      assertEquals(GaussianAccountant.epsilonForNoiseMultiplier(zl, 1, 1e-6), plan.epsilonAfter(1, 1e-6), 1e-12);
      assertTrue(plan.epsilonAfter(1, 1e-6) < plan.epsilonAfter(2, 1e-6) && plan.epsilonAfter(2, 1e-6) < plan.epsilonAfter(3, 1e-6));
    }
    PrivacyPlan half = PrivacyPlan.of(config("labels.budget_share=0.5"));
    PrivacyPlan equal = PrivacyPlan.of(config());
    assertTrue(half.labelNoiseMultiplier() < equal.labelNoiseMultiplier() && half.noiseMultiplier() > equal.noiseMultiplier(),
        "a larger share than 1/(T+1) buys label precision with vote noise");
  }

  @Test
  void anEqualShareIsTheDefaultPlan() {
    PrivacyPlan quarter = PrivacyPlan.of(config("labels.budget_share=0.25"));
    PrivacyPlan equal = PrivacyPlan.of(config());
    assertEquals(equal.noiseMultiplier(), quarter.noiseMultiplier(), 1e-9);
    assertEquals(equal.labelNoiseMultiplier(), quarter.labelNoiseMultiplier(), 1e-9);
    assertEquals(equal.epsilon(), quarter.epsilon(), 1e-9);
  }

  @Test
  void aGivenSigmaIsTheVotesAndTheLabelReleaseFollowsTheShare() {
    PrivacyPlan plan = PrivacyPlan.of(config("privacy.sigma=3", "labels.budget_share=0.5"));
    assertEquals(3.0, plan.noiseMultiplier(), 0.0);
    // w = 1/2 of mu^2 against T = 3 votes at 1/9 each: 1/z_label^2 = 3/9.
    assertEquals(Math.sqrt(3), plan.labelNoiseMultiplier(), 1e-12);
    double eps = GaussianAccountant.epsilon(List.of(new GaussianRelease(Math.sqrt(3), 1, 1), new GaussianRelease(3, 1, 3)), 1e-6);
    assertEquals(eps, plan.epsilon(), 1e-12);
  }

  @Test
  void theShareIsValidatedNamingTheKey() {
    for (String bad : List.of("1", "1.5", "-0.1")) {
      ConfigException e = assertThrows(ConfigException.class, () -> config("labels.budget_share=" + bad));
      assertTrue(e.getMessage().contains("labels.budget_share"), e.getMessage());
    }
    ConfigException pub = assertThrows(ConfigException.class,
        () -> config("labels.proportions=public", "labels.budget_share=0.5"));
    assertTrue(pub.getMessage().contains("labels.budget_share") && pub.getMessage().contains("dp"), pub.getMessage());
  }
}
