package org.dpsynth.privacy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** "poisson-gaussian" (DP-SGD) ledger entries next to PE's plain Gaussian ones. */
class PoissonGaussianLedgerTest {
  private static final Instant T = Instant.parse("2025-01-31T12:00:00Z");

  @Test
  void plainGaussianLinesAreUnchangedAndOldLinesStillRead(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("ledger.jsonl");
    PrivacyLedger.open(f).append(LedgerEntry.gaussian("r/1", 2.0, 1.0, 1, "r", "ds", T));
    String line = Files.readString(f);
    assertFalse(line.contains("samplingRate"), line);
    assertFalse(line.contains("\"gaussian\":"), line);
    // A line exactly as PE wrote it before this change.
    Files.writeString(f, "{\"releaseId\":\"r/0\",\"mechanism\":\"gaussian\",\"noiseStddev\":2.0,\"sensitivity\":1.0,"
        + "\"steps\":1,\"runId\":\"r\",\"dataset\":\"ds\",\"time\":\"2025-01-31T12:00:00Z\"}\n");
    PrivacyLedger ledger = PrivacyLedger.open(f);
    assertEquals(1, ledger.entries().size());
    assertEquals(GaussianAccountant.epsilon(List.of(new GaussianAccountant.GaussianRelease(2.0, 1.0, 1)), 1e-5),
        ledger.totalEpsilon(1e-5), 1e-12);
  }

  @Test
  void dpSgdStepsComposeAndMixWithGaussianReleases(@TempDir Path dir) {
    Path f = dir.resolve("ledger.jsonl");
    PrivacyLedger ledger = PrivacyLedger.open(f);
    for (int s = 1; s <= 50; s++) {
      ledger.append(LedgerEntry.poissonGaussian("r/step-" + s, 0.1, 1.2, 1.0, 1, "r", "ds", T));
    }
    PrivacyLedger reread = PrivacyLedger.open(f);
    // The ledger takes the smaller of the PLD and RDP bounds (both are valid upper bounds).
    assertEquals(Math.min(PldAccountant.epsilon(0.1, 1.2, 50, 1e-6), RdpAccountant.epsilon(0.1, 1.2, 50, 1e-6)),
        reread.totalEpsilon(1e-6), 1e-12);
    assertTrue(reread.totalEpsilon(1e-6) <= RdpAccountant.epsilon(0.1, 1.2, 50, 1e-6));
    double withoutCount = reread.totalEpsilon(1e-6);
    reread.append(LedgerEntry.gaussian("r/count", 10.0, 1.0, 1, "r", "ds", T));
    double mixed = reread.totalEpsilon(1e-6);
    assertEquals(SubsampledGaussianAccountant.epsilon(List.of(new PldAccountant.SubsampledGaussian(0.1, 1.2, 50),
        new PldAccountant.SubsampledGaussian(1.0, 10.0, 1)), 1e-6), mixed, 1e-12);
    assertTrue(mixed <= RdpAccountant.epsilon(List.of(new RdpAccountant.SubsampledRelease(0.1, 1.2, 50),
        new RdpAccountant.SubsampledRelease(1.0, 10.0, 1)), 1e-6));
    assertTrue(mixed > withoutCount, "the extra Gaussian release must cost something");
    assertEquals(withoutCount, reread.totalEpsilon("other", 1e-6) + withoutCount, 1e-12); // other dataset: nothing
  }

  @Test
  void samplingRateIsRequiredExactlyForPoissonGaussian() {
    assertThrows(IllegalArgumentException.class,
        () -> new LedgerEntry("a", "poisson-gaussian", 1, 1, 1, "r", "d", T.toString(), null));
    assertThrows(IllegalArgumentException.class,
        () -> new LedgerEntry("a", "poisson-gaussian", 1, 1, 1, "r", "d", T.toString(), 1.5));
    assertThrows(IllegalArgumentException.class,
        () -> new LedgerEntry("a", "gaussian", 1, 1, 1, "r", "d", T.toString(), 0.5));
    assertThrows(IllegalArgumentException.class,
        () -> new LedgerEntry("a", "laplace", 1, 1, 1, "r", "d", T.toString(), null));
  }

  @Test
  void heterogeneousRdpCompositionReducesToTheHomogeneousCase() {
    assertEquals(RdpAccountant.epsilon(0.05, 0.9, 300, 1e-5),
        RdpAccountant.epsilon(List.of(new RdpAccountant.SubsampledRelease(0.05, 0.9, 100),
            new RdpAccountant.SubsampledRelease(0.05, 0.9, 200)), 1e-5), 1e-12);
  }
}
