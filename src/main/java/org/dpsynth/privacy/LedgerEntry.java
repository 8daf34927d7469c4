package org.dpsynth.privacy;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * One line of the {@link PrivacyLedger}: a Gaussian release (noise stddev σ, L2 sensitivity Δ,
 * applied {@code steps} times), charged as μ² = steps·(Δ/σ)² in Gaussian DP.
 *
 * @param releaseId unique id of the release, e.g. "run-42/iter-003/histogram"
 * @param mechanism "gaussian" (the only mechanism accounted so far)
 * @param time ISO-8601 instant or offset date-time of the release
 */
public record LedgerEntry(
    String releaseId,
    String mechanism,
    double noiseStddev,
    double sensitivity,
    long steps,
    String runId,
    String dataset,
    String time) {

  public static final String GAUSSIAN = "gaussian";

  public LedgerEntry {
    requireText("releaseId", releaseId);
    if (!GAUSSIAN.equals(mechanism)) {
      throw new IllegalArgumentException("mechanism must be \"" + GAUSSIAN + "\"");
    }
    GaussianAccountant.requirePositiveFinite("noiseStddev", noiseStddev);
    GaussianAccountant.requirePositiveFinite("sensitivity", sensitivity);
    if (steps < 1) {
      throw new IllegalArgumentException("steps must be >= 1, got " + steps);
    }
    requireText("runId", runId);
    requireText("dataset", dataset);
    requireText("time", time);
    try {
      DateTimeFormatter.ISO_DATE_TIME.parse(time);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("time must be ISO-8601, e.g. 2025-01-31T12:00:00Z");
    }
  }

  /** A Gaussian release stamped with the given instant. */
  public static LedgerEntry gaussian(
      String releaseId,
      double noiseStddev,
      double sensitivity,
      long steps,
      String runId,
      String dataset,
      Instant time) {
    return new LedgerEntry(
        releaseId, GAUSSIAN, noiseStddev, sensitivity, steps, runId, dataset,
        Objects.requireNonNull(time, "time").toString());
  }

  /** The release as the accountant sees it. */
  public GaussianAccountant.GaussianRelease release() {
    return new GaussianAccountant.GaussianRelease(noiseStddev, sensitivity, steps);
  }

  private static void requireText(String name, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must be a non-blank string");
    }
  }
}
