package org.dpsynth.privacy;

import java.util.List;

/**
 * ε of a composition of Poisson-subsampled Gaussian releases (plain Gaussian ones are q = 1): the
 * smaller of the {@link PldAccountant} and {@link RdpAccountant} answers. Both are upper bounds on
 * the true ε, so their minimum is one too. PLD is tight (its discretisation error stays below 1e-4
 * relative however many steps there are) and is the answer in practice; RDP is kept for very small
 * δ (below about 1e-9 for 10⁴ steps), where PLD's rigorous bound on FFT round-off would otherwise
 * use up δ and make its ε infinite.
 */
public final class SubsampledGaussianAccountant {
  private SubsampledGaussianAccountant() {}

  public static double epsilon(List<PldAccountant.SubsampledGaussian> releases, double delta) {
    if (releases.isEmpty()) {
      return 0.0;
    }
    // Both accountants merge releases with the same (q, z), so a ledger with one line per DP-SGD
    // step costs one self-composition.
    double pld = PldAccountant.epsilon(releases, delta);
    double rdp = RdpAccountant.epsilon(releases.stream()
        .map(r -> new RdpAccountant.SubsampledRelease(r.q(), r.noiseMultiplier(), r.steps())).toList(), delta);
    return Math.min(pld, rdp);
  }
}
