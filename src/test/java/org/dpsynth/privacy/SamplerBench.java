package org.dpsynth.privacy;

/**
 * Throughput of the exact discrete Gaussian sampler (not a unit test). Run after
 * {@code mvn -o test-compile}: {@code java -cp target/classes:target/test-classes
 * org.dpsynth.privacy.SamplerBench}. Prints samples/s per σ for secure and seeded sources.
 */
public final class SamplerBench {
  public static void main(String[] args) {
    double[] sigmas = {10, 1e4, 1e7};
    NoiseSource[] sources = {new SecureNoise(), new SeededNoise(1)};
    for (NoiseSource src : sources) {
      for (double sigma : sigmas) {
        src.discreteGaussian(50_000, sigma); // warm-up
        int n = 300_000;
        long t0 = System.nanoTime();
        long[] xs = src.discreteGaussian(n, sigma);
        double sec = (System.nanoTime() - t0) / 1e9;
        System.out.printf("%-8s sigma=%-8.0g %,12.0f samples/s  (checksum %d)%n",
            src.isSecure() ? "secure" : "seeded", sigma, n / sec, xs[n - 1]);
      }
    }
  }
}
