package org.dpsynth.privacy;

import java.security.SecureRandom;

/**
 * Production noise: exact discrete Gaussians (Canonne–Kamath–Steinke 2020) driven by bits from
 * {@link SecureRandom} (the platform default, on Linux NativePRNG over /dev/urandom). Thread-safe.
 */
public final class SecureNoise implements NoiseSource {

  private final SecureRandom random;
  private final DiscreteGaussianSampler sampler;

  public SecureNoise() {
    this.random = new SecureRandom();
    this.sampler = new DiscreteGaussianSampler(new SecureBits(random));
  }

  @Override
  public synchronized long[] discreteGaussian(int n, double sigmaInGridUnits) {
    return sampler.sample(n, sigmaInGridUnits);
  }

  @Override
  public boolean isSecure() {
    return true;
  }

  @Override
  public String description() {
    return "secure";
  }

  /** The SecureRandom algorithm in use, for the manifest. */
  public String algorithm() {
    return random.getAlgorithm();
  }

  @Override
  public String toString() {
    return description();
  }

  private static final class SecureBits extends ByteStreamBits {
    private final SecureRandom random;

    SecureBits(SecureRandom random) {
      super(256);
      this.random = random;
    }

    @Override
    protected void refill(byte[] into) {
      random.nextBytes(into);
    }
  }
}
