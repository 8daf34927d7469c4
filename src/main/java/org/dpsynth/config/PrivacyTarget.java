package org.dpsynth.config;

import java.util.regex.Pattern;

/**
 * The privacy keys every method has: a target (epsilon, delta) or a noise multiplier {@code sigma}
 * (then epsilon is reported), the noise source, and {@code min_users}, a public lower bound on the
 * number of users that delta is checked against (the private count is never compared with delta).
 */
public interface PrivacyTarget {
  /** {@code secure}, or {@code seeded:<long>} (reproducible noise, tests only). */
  Pattern NOISE = Pattern.compile("secure|seeded:-?\\d{1,19}");

  Double epsilon();

  double delta();

  Double sigma();

  String noise();

  long minUsers();

  /** Checks the keys above; messages name the dotted key. */
  default void validate(Errors e) {
    if (epsilon() == null && sigma() == null) {
      e.add("privacy.epsilon: give a target epsilon > 0 (or privacy.sigma to report epsilon)");
    }
    if (epsilon() != null) {
      e.require(epsilon() > 0 && Double.isFinite(epsilon()), "privacy.epsilon", "a finite number > 0");
    }
    if (sigma() != null) {
      e.require(sigma() > 0 && Double.isFinite(sigma()), "privacy.sigma", "a finite noise multiplier > 0");
    }
    boolean deltaOk = delta() > 0 && delta() < 1;
    e.require(deltaOk, "privacy.delta", "a number in (0, 1)");
    e.require(minUsers() >= 1, "privacy.min_users", "an integer >= 1 (a public lower bound on the number of users)");
    if (minUsers() >= 1 && deltaOk) {
      e.require(delta() * minUsers() < 1, "privacy.delta",
          "a number below 1/privacy.min_users = " + (1.0 / minUsers()) + " (delta >= 1/n allows releasing one user's records outright)");
    }
    e.require(noise() != null && NOISE.matcher(noise()).matches(), "privacy.noise", "'secure', or 'seeded:<integer>' for tests only");
  }
}
