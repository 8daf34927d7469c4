package org.dpsynth.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import org.dpsynth.privacy.GaussianAccountant.GaussianRelease;
import org.junit.jupiter.api.Test;

class PrivacyBudgetTest {
  private static final Instant T = Instant.parse("2025-03-01T10:15:30Z");

  private static LedgerEntry entry(String id, String dataset) {
    return LedgerEntry.gaussian(id, 4.0, 1.0, 1, "run-1", dataset, T);
  }

  @Test
  void admitsOnlyUnrecordedChargesAndComposesTheDatasetOnly() {
    List<LedgerEntry> recorded = List.of(entry("a/1", "corpus"), entry("a/2", "corpus"), entry("b/1", "other"));
    List<LedgerEntry> planned = List.of(entry("a/2", "corpus"), entry("c/1", "corpus"), entry("c/2", "corpus"));
    double four = GaussianAccountant.epsilon(List.of(new GaussianRelease(4.0, 1.0, 4)), 1e-6);
    double three = GaussianAccountant.epsilon(List.of(new GaussianRelease(4.0, 1.0, 3)), 1e-6);
    double two = GaussianAccountant.epsilon(List.of(new GaussianRelease(4.0, 1.0, 2)), 1e-6);
    PrivacyBudget.Admission a = PrivacyBudget.admit(recorded, planned, "corpus", four + 1e-9, 1e-6, "ledger");
    assertEquals(List.of("c/1", "c/2"), a.toAppend().stream().map(LedgerEntry::releaseId).toList(), "a/2 is already charged");
    assertEquals(two, a.spentBefore(), 1e-12);
    assertEquals(four, a.spentAfter(), 1e-12);
    PrivacyBudget.ExceededException e = assertThrows(PrivacyBudget.ExceededException.class,
        () -> PrivacyBudget.admit(recorded, planned, "corpus", three, 1e-6, "ledger"));
    assertTrue(e.getMessage().contains(String.format("%.4g left", three - two)) && e.getMessage().contains("'corpus'"), e.getMessage());
    assertEquals(three - two, e.left(), 1e-12);
    // No cap: never refuses; a charge already recorded costs nothing again.
    assertEquals(four, PrivacyBudget.admit(recorded, planned, "corpus", 0, 1e-6, "ledger").spentAfter(), 1e-12);
    assertTrue(PrivacyBudget.admit(recorded, List.of(entry("a/1", "corpus")), "corpus", two, 1e-6, "ledger").toAppend().isEmpty());
    // A charge for another dataset is a programming error, not a budget question.
    assertThrows(IllegalArgumentException.class, () -> PrivacyBudget.admit(recorded, List.of(entry("x/1", "other")), "corpus", 0, 1e-6, "ledger"));
  }

  @Test
  void composesGaussianAndSubsampledChargesTogether() {
    LedgerEntry gaussian = entry("pe/1", "corpus");
    LedgerEntry subsampled = LedgerEntry.poissonGaussian("fs/1", 0.05, 0.9, 1.0, 20, "run-2", "corpus", T);
    double both = PrivacyBudget.epsilon(List.of(gaussian, subsampled), 1e-6);
    double g = PrivacyBudget.epsilon(List.of(gaussian), 1e-6);
    double s = PrivacyBudget.epsilon(List.of(subsampled), 1e-6);
    assertTrue(both > Math.max(g, s) && both <= g + s + 1e-9, "composition: " + g + " + " + s + " -> " + both);
    // The budget rule uses this composition, so mixed ledgers are capped (an old rule could only compose Gaussian entries).
    assertThrows(PrivacyBudget.ExceededException.class,
        () -> PrivacyBudget.admit(List.of(gaussian), List.of(subsampled), "corpus", Math.max(g, s), 1e-6, "ledger"));
  }
}
