package org.dpsynth.privacy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.function.IntFunction;
import org.apache.commons.math3.distribution.ChiSquaredDistribution;
import org.junit.jupiter.api.Test;

/**
 * Statistical tests of the SECURE discrete Gaussian sampler against the exact pmf, plus a test of
 * the tests: the same procedure rejects a sampler whose σ is 5% too large.
 *
 * <p>False-failure budget per test method (under a correct sampler): mean |z| &gt; 5.5 has
 * P ≈ 3.8e-8; second-moment |z| &gt; 5.5 has P ≤ 5e-8 (normal approximation; at n = 1e5 the
 * Edgeworth skew correction is a factor ≈ 1.2); chi-square at α = 5e-7 with ≥ 20 expected per bin.
 * Total ≤ 6e-7 ≤ 1e-6 per σ.
 */
class DiscreteGaussianSamplerTest {

  private static final int N = 100_000;
  private static final double Z_LIMIT = 5.5;
  private static final double CHI2_ALPHA = 5e-7;

  /** Outcome of the three checks of one sample against N_Z(0, σ²). */
  record Verdict(double zMean, double zSecondMoment, double chi2, double chi2Critical, int bins) {
    boolean accepts() {
      return Math.abs(zMean) <= Z_LIMIT
          && Math.abs(zSecondMoment) <= Z_LIMIT
          && chi2 <= chi2Critical;
    }
  }

  /** Mean, second moment and binned chi-square of {@code xs} against the exact N_Z(0, σ²). */
  static Verdict check(long[] xs, double sigma) {
    int k = (int) Math.ceil(15 * sigma) + 15;
    double[] w = new double[2 * k + 1];
    double total = 0;
    for (int i = -k; i <= k; i++) {
      w[i + k] = Math.exp(-(double) i * i / (2 * sigma * sigma));
      total += w[i + k];
    }
    double var = 0;
    double m4 = 0;
    for (int i = -k; i <= k; i++) {
      double p = w[i + k] / total;
      w[i + k] = p;
      var += p * i * i;
      m4 += p * (double) i * i * i * i;
    }
    int n = xs.length;
    double sum = 0;
    double sumSq = 0;
    for (long x : xs) {
      sum += x;
      sumSq += (double) x * x;
    }
    double zMean = (sum / n) / Math.sqrt(var / n);
    double zSecond = (sumSq / n - var) / Math.sqrt((m4 - var * var) / n);

    // Contiguous bins with expected count ≥ max(20, n/200); bin b covers [lower[b], lower[b+1]).
    double target = Math.max(20, n / 200.0);
    long[] lower = new long[2 * k + 2];
    double[] expected = new double[2 * k + 2];
    int bins = 0;
    double acc = 0;
    lower[0] = Long.MIN_VALUE;
    for (int i = -k; i <= k; i++) {
      acc += w[i + k] * n;
      if (acc >= target && i < k) {
        expected[bins++] = acc;
        lower[bins] = i + 1;
        acc = 0;
      }
    }
    if (acc < target && bins > 0) {
      expected[bins - 1] += acc; // merge the short right tail into the previous bin
    } else {
      expected[bins++] = acc;
    }
    long[] upperBounds = Arrays.copyOfRange(lower, 1, bins); // first value of the next bin
    long[] observed = new long[bins];
    for (long x : xs) {
      int pos = Arrays.binarySearch(upperBounds, x);
      int bin = pos >= 0 ? pos + 1 : -pos - 1;
      observed[bin]++;
    }
    double chi2 = 0;
    for (int b = 0; b < bins; b++) {
      double d = observed[b] - expected[b];
      chi2 += d * d / expected[b];
    }
    double critical =
        new ChiSquaredDistribution(bins - 1).inverseCumulativeProbability(1 - CHI2_ALPHA);
    return new Verdict(zMean, zSecond, chi2, critical, bins);
  }

  private static DiscreteGaussianSampler secureSampler() {
    SecureRandom random = new SecureRandom();
    return new DiscreteGaussianSampler(
        new ByteStreamBits(256) {
          @Override
          protected void refill(byte[] into) {
            random.nextBytes(into);
          }
        });
  }

  private static void assertAcceptsAndCatchesFivePercent(double sigma) {
    IntFunction<long[]> secure = n -> new SecureNoise().discreteGaussian(n, sigma);
    Verdict ok = check(secure.apply(N), sigma);
    System.out.printf("sigma=%s correct sampler: %s%n", sigma, ok);
    assertTrue(ok.accepts(), "correct sampler rejected at sigma=" + sigma + ": " + ok);
    assertTrue(ok.bins() >= 8, "too few bins for a shape test: " + ok.bins());

    // Test of the test: σ 5% too large. E[X²] is 1.1025·var, so the second-moment statistic is
    // centred at 0.1025·√(N/2) ≈ 22.9 with sd ≈ 1.10; it falls below 5.5 with P ≈ Φ(−15.8) < 1e-50.
    // The chi-square also rejects: noncentrality ≈ N·χ²(p₁‖p₀) ≈ N·2·(ln 1.05)² ≈ 470 against a
    // critical value of 44–311 here (9–199 bins); observed 440–700 in trial runs.
    Verdict broken = check(new SecureNoise().discreteGaussian(N, sigma * 1.05), sigma);
    System.out.printf("sigma=%s sampler at 1.05 sigma: %s%n", sigma, broken);
    assertFalse(broken.accepts(), "5% too wide sampler not caught at sigma=" + sigma);
    assertTrue(broken.zSecondMoment() > Z_LIMIT);
    assertTrue(broken.chi2() > broken.chi2Critical());
  }

  @Test
  void secureSamplerMatchesPmfAtSigma1point5() {
    assertAcceptsAndCatchesFivePercent(1.5);
  }

  @Test
  void secureSamplerMatchesPmfAtSigma20() {
    assertAcceptsAndCatchesFivePercent(20);
  }

  @Test
  void secureSamplerMatchesPmfAtSigma1e4() {
    assertAcceptsAndCatchesFivePercent(1e4);
  }

  @Test
  void procedureAlsoCatchesTooLittleNoise() {
    // σ 5% too small: second-moment statistic centred at −0.0975·√(N/2) ≈ −21.8 (P(miss) < 1e-50).
    Verdict broken = check(new SecureNoise().discreteGaussian(N, 20 / 1.05), 20);
    assertFalse(broken.accepts());
    assertTrue(broken.zSecondMoment() < -Z_LIMIT);
  }

  @Test
  void hugeSigmaStaysInRangeAndHasTheRightScale() {
    double sigma = 1e7;
    long[] xs = new SecureNoise().discreteGaussian(4000, sigma);
    double sumSq = 0;
    for (long x : xs) {
      // P(|X| > 7σ) ≈ 2.6e-12 per draw.
      assertTrue(Math.abs(x) < 7 * sigma);
      sumSq += (double) x * x;
    }
    // Relative sd of the second moment is √(2/4000) ≈ 2.2%; 15% is 6.7 sd (P < 1e-10).
    double ratio = Math.sqrt(sumSq / xs.length) / sigma;
    assertEquals(1.0, ratio, 0.15);
  }

  @Test
  void tinySigmaIsAlmostSurelyZero() {
    // P[X ≠ 0] ≈ 2·exp(−1/(2·0.01²)) = 2e-2171.
    long[] xs = new SecureNoise().discreteGaussian(2000, 0.01);
    assertTrue(Arrays.stream(xs).allMatch(x -> x == 0));
    // A subnormal σ is still an exact rational and still works.
    assertEquals(0, secureSampler().sample(Double.MIN_VALUE));
  }

  @Test
  void bernoulliExpMinusHasTheRightFrequency() {
    DiscreteGaussianSampler s = secureSampler();
    int n = 200_000;
    // γ given as exact rationals, including one that needs the BigInteger path.
    BigInteger[][] gammas = {
      {BigInteger.ZERO, BigInteger.ONE},
      {BigInteger.valueOf(3), BigInteger.TEN},
      {BigInteger.ONE, BigInteger.ONE},
      {BigInteger.valueOf(27), BigInteger.TEN},
      {BigInteger.ONE.shiftLeft(100).multiply(BigInteger.valueOf(3)), BigInteger.ONE.shiftLeft(101)},
    };
    for (BigInteger[] g : gammas) {
      double p = Math.exp(-g[0].doubleValue() / g[1].doubleValue());
      int hits = 0;
      for (int i = 0; i < n; i++) {
        if (s.bernoulliExpMinus(g[0], g[1])) {
          hits++;
        }
      }
      // Binomial z-test at |z| > 5.5 (P ≈ 3.8e-8 each; 4 non-degenerate cases ≤ 1.6e-7).
      double sd = Math.sqrt(n * p * (1 - p));
      if (sd == 0) {
        assertEquals(n, hits);
      } else {
        assertTrue(Math.abs(hits - n * p) <= Z_LIMIT * sd, "gamma " + g[0] + "/" + g[1]);
      }
    }
  }

  @Test
  void discreteLaplaceHasTheRightMoments() {
    DiscreteGaussianSampler s = secureSampler();
    long t = 3;
    int n = 100_000;
    // P[Y = y] ∝ e^{−|y|/t}: with r = e^{−1/t}, E[Y²] = 2r(1+r)/((1−r)²(1+r)) ... computed by sum.
    double norm = 0;
    double m2 = 0;
    double m4 = 0;
    for (int y = -400; y <= 400; y++) {
      double p = Math.exp(-Math.abs(y) / (double) t);
      norm += p;
      m2 += p * y * y;
      m4 += p * (double) y * y * y * y;
    }
    m2 /= norm;
    m4 /= norm;
    double sumSq = 0;
    for (int i = 0; i < n; i++) {
      long y = s.discreteLaplace(t);
      sumSq += (double) y * y;
    }
    double z = (sumSq / n - m2) / Math.sqrt((m4 - m2 * m2) / n);
    // |z| > 6 has P < 2e-9 even allowing for the Laplace's heavier skew at n = 1e5.
    assertTrue(Math.abs(z) < 6, "z=" + z);
  }

  /** Bits from a fixed script; running out means the decision needed more bits than given. */
  private static final class ScriptedBits implements RandomBits {
    private final long value;
    private final int length;
    private int pos;

    ScriptedBits(long value, int length) {
      this.value = value;
      this.length = length;
    }

    @Override
    public boolean nextBit() {
      if (pos == length) {
        throw new IllegalStateException("out of bits");
      }
      // Most significant bit first: the script is the binary expansion of U.
      return ((value >>> (length - 1 - pos++)) & 1) == 1;
    }

    @Override
    public long nextBits(int k) {
      long r = 0;
      for (int i = 0; i < k; i++) {
        r = (r << 1) | (nextBit() ? 1 : 0);
      }
      return r;
    }
  }

  @Test
  void bernoulliIsExactOverEveryBitString() {
    // Enumerate every 14-bit prefix of U: the decided-true prefixes must be exactly the
    // ⌊p·2^14⌋ intervals lying wholly below p, for both the long and BigInteger paths.
    int length = 14;
    for (long d = 1; d <= 13; d++) {
      for (long n = 0; n <= d; n++) {
        long expectTrue = Math.floorDiv(n << length, d);
        for (boolean big : new boolean[] {false, true}) {
          long trues = 0;
          long undecided = 0;
          for (long u = 0; u < (1L << length); u++) {
            DiscreteGaussianSampler s = new DiscreteGaussianSampler(new ScriptedBits(u, length));
            try {
              boolean r =
                  big
                      ? s.bernoulli(BigInteger.valueOf(n), BigInteger.valueOf(d))
                      : s.bernoulli(n, d);
              if (r) {
                trues++;
              }
            } catch (IllegalStateException outOfBits) {
              undecided++;
            }
          }
          assertTrue(undecided <= 1, "n=" + n + " d=" + d);
          assertEquals(expectTrue, trues, "n=" + n + " d=" + d + " big=" + big);
        }
      }
    }
  }

  @Test
  void invalidSigmaIsRejectedWithItsName() {
    DiscreteGaussianSampler s = secureSampler();
    for (double bad : new double[] {0, -1, Double.NaN, Double.POSITIVE_INFINITY, 0x1p51}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.sample(bad));
      assertTrue(e.getMessage().contains("sigmaInGridUnits"));
    }
  }

  @Test
  void seededNoiseIsReproducibleAndLabelled() {
    long[] a = new SeededNoise(42).discreteGaussian(1000, 3.5);
    long[] b = new SeededNoise(42).discreteGaussian(1000, 3.5);
    long[] c = new SeededNoise(43).discreteGaussian(1000, 3.5);
    assertArrayEquals(a, b);
    assertFalse(Arrays.equals(a, c));
    assertTrue(Arrays.stream(a).anyMatch(x -> x != 0));
    SeededNoise s = new SeededNoise(42);
    assertFalse(s.isSecure());
    assertEquals("seeded:42 — TEST ONLY, NOT DIFFERENTIALLY PRIVATE", s.description());
    // Successive calls continue the stream instead of repeating it.
    assertFalse(Arrays.equals(s.discreteGaussian(1000, 3.5), s.discreteGaussian(1000, 3.5)));
    SecureNoise secure = new SecureNoise();
    assertTrue(secure.isSecure());
    assertEquals("secure", secure.description());
    assertFalse(Arrays.equals(secure.discreteGaussian(1000, 3.5), new SecureNoise()
        .discreteGaussian(1000, 3.5)));
  }

  @Test
  void parseAcceptsExactlyTheTwoForms() {
    assertTrue(NoiseSource.parse("secure") instanceof SecureNoise);
    NoiseSource s = NoiseSource.parse("seeded:-7");
    assertTrue(s instanceof SeededNoise sn && sn.seed() == -7);
    assertEquals(Long.MAX_VALUE, ((SeededNoise) NoiseSource.parse("seeded:9223372036854775807"))
        .seed());
    for (String bad :
        new String[] {
          null, "", "Secure", "SECURE", " secure", "secure ", "seeded", "seeded:", "seeded:x",
          "seeded: 1", "seeded:1.5", "seeded:+1", "seeded:9223372036854775808", "random", "none"
        }) {
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> NoiseSource.parse(bad), "" + bad);
      assertTrue(e.getMessage().contains("\"secure\"") && e.getMessage().contains("seeded:<long>"));
    }
  }
}
