package org.dpsynth.foundation.ngram;

/**
 * SplitMix64 (Steele, Lea, Flood 2014): a tiny seeded generator whose output is fixed by this
 * code, not by the JDK version, so generated texts are reproducible across JVMs. Not for noise.
 */
final class SplitMix64 {
  private static final long GOLDEN = 0x9e3779b97f4a7c15L;
  private long state;

  SplitMix64(long seed) {
    this.state = seed;
  }

  long nextLong() {
    return mix(state += GOLDEN);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  double nextDouble() {
    return (nextLong() >>> 11) * 0x1.0p-53;
  }

  /** Uniform in [0, bound). */
  int nextInt(int bound) {
    return (int) (((nextLong() >>> 33) * bound) >>> 31);
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  /** A well-spread seed for item {@code index} of a batch seeded with {@code seed}. */
  static long derive(long seed, long index) {
    return mix(mix(seed ^ 0x6a09e667f3bcc909L) + GOLDEN * (index + 1));
  }

  /** A stable 64-bit hash of a string (FNV-1a over UTF-16 units, then mixed). */
  static long hash(String s) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < s.length(); i++) {
      h ^= s.charAt(i);
      h *= 0x100000001b3L;
    }
    return mix(h);
  }
}
