package org.dpsynth.privacy;

/**
 * Where released noise comes from: {@link SecureNoise} (SecureRandom, production) or
 * {@link SeededNoise} (reproducible, tests only). Samples are exact discrete Gaussians
 * (Canonne–Kamath–Steinke 2020, see {@link DiscreteGaussianSampler}).
 *
 * <p>Callers must print {@link #description()} in the run manifest and on the console, so a run
 * that used seeded noise says so.
 */
public sealed interface NoiseSource permits SecureNoise, SeededNoise {

  /** n independent draws of N_Z(0, σ²), σ in grid units. */
  long[] discreteGaussian(int n, double sigmaInGridUnits);

  /** True only for noise that is fit for a differentially private release. */
  boolean isSecure();

  /** "secure", or a loud "seeded:&lt;n&gt; — TEST ONLY, NOT DIFFERENTIALLY PRIVATE". */
  String description();

  /** Accepts exactly "secure" or "seeded:&lt;long&gt;". */
  static NoiseSource parse(String spec) {
    if ("secure".equals(spec)) {
      return new SecureNoise();
    }
    if (spec != null && spec.startsWith("seeded:")) {
      String number = spec.substring("seeded:".length());
      if (number.matches("-?[0-9]{1,19}")) {
        try {
          return new SeededNoise(Long.parseLong(number));
        } catch (NumberFormatException e) {
          // out of long range: fall through to the error below
        }
      }
    }
    throw new IllegalArgumentException(
        "noise must be \"secure\" or \"seeded:<long>\" (seeded is for tests only), got "
            + (spec == null ? "null" : "\"" + spec + "\""));
  }
}
