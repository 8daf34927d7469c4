package org.dpsynth.privacy;

import java.util.List;

/**
 * ε of a composition of Poisson-subsampled Gaussian releases (plain Gaussian ones are q = 1): the
 * smaller of the {@link PldAccountant} and {@link RdpAccountant} answers. Both are upper bounds on
 * the true ε, so their minimum is one too; PLD is tighter for few steps, while its discretisation
 * error grows with the number of steps, where RDP can win.
 */
public final class SubsampledGaussianAccountant {
  private SubsampledGaussianAccountant() {}

  public static double epsilon(List<PldAccountant.SubsampledGaussian> releases, double delta) {
    if (releases.isEmpty()) {
      return 0.0;
    }
    // Releases with the same (q, z) compose as one release with the summed steps: merging them
    // keeps a ledger with one line per DP-SGD step to one PLD self-composition.
    java.util.Map<List<Double>, Long> steps = new java.util.LinkedHashMap<>();
    for (PldAccountant.SubsampledGaussian r : releases) {
      steps.merge(List.of(r.q(), r.noiseMultiplier()), r.steps(), Long::sum);
    }
    releases = steps.entrySet().stream()
        .map(e -> new PldAccountant.SubsampledGaussian(e.getKey().get(0), e.getKey().get(1), e.getValue())).toList();
    double pld = PldAccountant.epsilon(releases, delta, PldAccountant.DEFAULT_GRID);
    double rdp = RdpAccountant.epsilon(releases.stream()
        .map(r -> new RdpAccountant.SubsampledRelease(r.q(), r.noiseMultiplier(), r.steps())).toList(), delta);
    return Math.min(pld, rdp);
  }
}
