package org.dpsynth.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import org.dpsynth.privacy.GaussianAccountant.GaussianRelease;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivacyBudgetTest {
  @TempDir Path dir;

  private static LedgerEntry entry(String id, String dataset) {
    return LedgerEntry.gaussian(id, 4.0, 1.0, 1, "run-1", dataset, Instant.parse("2025-03-01T10:15:30Z"));
  }

  @Test
  void composesRecordedAndPlannedReleasesOfTheDatasetOnly() {
    PrivacyLedger ledger = PrivacyLedger.open(dir.resolve("ledger.jsonl"));
    ledger.append(entry("a/1", "corpus"));
    ledger.append(entry("a/2", "corpus"));
    ledger.append(entry("b/1", "other"));
    List<GaussianRelease> planned = Collections.nCopies(2, new GaussianRelease(4.0, 1.0, 1));
    double four = GaussianAccountant.epsilon(List.of(new GaussianRelease(4.0, 1.0, 4)), 1e-6);
    double three = GaussianAccountant.epsilon(List.of(new GaussianRelease(4.0, 1.0, 3)), 1e-6);
    double two = GaussianAccountant.epsilon(List.of(new GaussianRelease(4.0, 1.0, 2)), 1e-6);
    assertEquals(four, PrivacyBudget.requireWithin(ledger, "corpus", planned, four + 1e-9, 1e-6), 1e-12);
    PrivacyBudget.ExceededException e = assertThrows(PrivacyBudget.ExceededException.class,
        () -> PrivacyBudget.requireWithin(ledger, "corpus", planned, three, 1e-6));
    String left = String.format("%.4g left", three - two);
    assertTrue(e.getMessage().contains(left) && e.getMessage().contains("'corpus'"), e.getMessage());
    // No cap: never refuses.
    assertEquals(four, PrivacyBudget.requireWithin(ledger, "corpus", planned, 0, 1e-6), 1e-12);
  }
}
