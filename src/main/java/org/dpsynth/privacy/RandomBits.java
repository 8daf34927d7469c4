package org.dpsynth.privacy;

/**
 * A source of independent uniform random bits, the only randomness the exact samplers use
 * (Canonne, Kamath, Steinke 2020 assume exactly this primitive). Not thread-safe.
 */
public interface RandomBits {

  /** One uniform bit. */
  boolean nextBit();

  /** {@code k} uniform bits as a non-negative long, 0 ≤ k ≤ 63. */
  long nextBits(int k);

  /** A uniform integer in [0, bound) by rejection on ⌈log₂ bound⌉ bits; bound ≥ 1. */
  default long nextBelow(long bound) {
    if (bound < 1) {
      throw new IllegalArgumentException("bound must be >= 1, got " + bound);
    }
    if (bound == 1) {
      return 0;
    }
    int bits = 64 - Long.numberOfLeadingZeros(bound - 1);
    while (true) {
      long r = nextBits(bits);
      if (r < bound) {
        return r;
      }
    }
  }
}
