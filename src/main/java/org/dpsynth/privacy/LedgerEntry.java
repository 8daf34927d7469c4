package org.dpsynth.privacy;

import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Objects;

/**
 * One line of the {@link PrivacyLedger}: a Gaussian release (noise stddev σ, L2 sensitivity Δ,
 * applied {@code steps} times), charged as μ² = steps·(Δ/σ)² in Gaussian DP; or ({@code
 * "poisson-gaussian"}) {@code steps} Poisson-subsampled Gaussian releases with sampling rate
 * {@code samplingRate}, which only the {@link PldAccountant} composes.
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
    String time,
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
        Double samplingRate) {

  public static final String GAUSSIAN = "gaussian";
  public static final String POISSON_GAUSSIAN = "poisson-gaussian";

  /** A plain Gaussian release (no subsampling). */
  public LedgerEntry(String releaseId, String mechanism, double noiseStddev, double sensitivity,
      long steps, String runId, String dataset, String time) {
    this(releaseId, mechanism, noiseStddev, sensitivity, steps, runId, dataset, time, null);
  }

  public LedgerEntry {
    requireText("releaseId", releaseId);
    if (GAUSSIAN.equals(mechanism)) {
      if (samplingRate != null) {
        throw new IllegalArgumentException("samplingRate is only for mechanism \"" + POISSON_GAUSSIAN + "\"");
      }
    } else if (POISSON_GAUSSIAN.equals(mechanism)) {
      if (samplingRate == null || !(samplingRate > 0 && samplingRate <= 1)) {
        throw new IllegalArgumentException("samplingRate must be in (0, 1] for mechanism \"" + POISSON_GAUSSIAN + "\"");
      }
    } else {
      throw new IllegalArgumentException(
          "mechanism must be \"" + GAUSSIAN + "\" or \"" + POISSON_GAUSSIAN + "\"");
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

  /** T Poisson-subsampled Gaussian steps, stamped with the given instant. */
  public static LedgerEntry poissonGaussian(String releaseId, double samplingRate, double noiseStddev,
      double sensitivity, long steps, String runId, String dataset, Instant time) {
    return new LedgerEntry(releaseId, POISSON_GAUSSIAN, noiseStddev, sensitivity, steps, runId,
        dataset, Objects.requireNonNull(time, "time").toString(), samplingRate);
  }

  /** True for a plain (not subsampled) Gaussian release. Not a JSON property of the line. */
  @com.fasterxml.jackson.annotation.JsonIgnore
  public boolean isGaussian() {
    return GAUSSIAN.equals(mechanism);
  }

  /** True for a subsampled release, which Gaussian DP alone cannot compose. */
  public boolean subsampled() {
    return POISSON_GAUSSIAN.equals(mechanism);
  }

  /** The release as the PLD accountant sees it (q = 1 for a plain Gaussian release). */
  public PldAccountant.SubsampledGaussian subsampledRelease() {
    return new PldAccountant.SubsampledGaussian(
        samplingRate == null ? 1.0 : samplingRate, noiseStddev / sensitivity, steps);
  }

  /** The release as the Gaussian-DP accountant sees it (only for mechanism "gaussian"). */
  public GaussianAccountant.GaussianRelease release() {
    if (subsampled()) {
      throw new IllegalStateException("release '" + releaseId + "' is subsampled: use subsampledRelease()");
    }
    return new GaussianAccountant.GaussianRelease(noiseStddev, sensitivity, steps);
  }

  private static void requireText(String name, String value) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(name + " must be a non-blank string");
    }
  }
}
