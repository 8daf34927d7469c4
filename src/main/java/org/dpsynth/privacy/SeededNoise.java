package org.dpsynth.privacy;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * TEST ONLY, NOT DIFFERENTIALLY PRIVATE: the same exact discrete Gaussian sampler as
 * {@link SecureNoise}, but fed by SHA-256 in counter mode over (seed, counter), so a seed gives
 * the same noise on every JVM and platform. Anyone who knows the seed can subtract the noise.
 * Thread-safe.
 */
public final class SeededNoise implements NoiseSource {

  private final long seed;
  private final DiscreteGaussianSampler sampler;

  public SeededNoise(long seed) {
    this.seed = seed;
    this.sampler = new DiscreteGaussianSampler(new CounterModeBits(seed));
  }

  public long seed() {
    return seed;
  }

  @Override
  public synchronized long[] discreteGaussian(int n, double sigmaInGridUnits) {
    return sampler.sample(n, sigmaInGridUnits);
  }

  @Override
  public boolean isSecure() {
    return false;
  }

  @Override
  public String description() {
    return "seeded:" + seed + " — TEST ONLY, NOT DIFFERENTIALLY PRIVATE";
  }

  @Override
  public String toString() {
    return description();
  }

  private static final class CounterModeBits extends ByteStreamBits {
    private final MessageDigest sha256;
    private final ByteBuffer block = ByteBuffer.allocate(16);
    private final long seed;
    private long counter;

    CounterModeBits(long seed) {
      super(32);
      this.seed = seed;
      try {
        this.sha256 = MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-256 is required by every Java platform", e);
      }
    }

    @Override
    protected void refill(byte[] into) {
      block.clear();
      block.putLong(seed).putLong(counter++);
      byte[] digest = sha256.digest(block.array());
      System.arraycopy(digest, 0, into, 0, into.length);
    }
  }
}
