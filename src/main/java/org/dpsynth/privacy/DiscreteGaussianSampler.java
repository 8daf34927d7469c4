package org.dpsynth.privacy;

import java.math.BigInteger;
import java.util.Objects;

/**
 * Exact sampler for the discrete Gaussian N_Z(0, σ²), P[X = x] ∝ exp(−x²/(2σ²)) on the integers,
 * following Canonne, Kamath, Steinke, "The Discrete Gaussian for Differential Privacy" (NeurIPS
 * 2020), Algorithms 1–3: Bernoulli(exp(−γ)) for rational γ, the discrete Laplace with integer
 * scale t = ⌊σ⌋ + 1, and rejection from it to the discrete Gaussian.
 *
 * <p>Every accept/reject decision compares uniform random bits against an exact rational
 * (BigInteger numerator and denominator); no floating-point number is involved. σ is taken as a
 * double, which is a dyadic rational m·2^e, so σ² = m²·2^{2e} is exact too. Bernoulli(n/d) reads
 * a uniform real U bit by bit against the binary expansion of n/d and stops at the first
 * difference (2 bits on average), which is exactly P[U &lt; n/d] = n/d.
 *
 * <p>Not thread-safe (it consumes a {@link RandomBits} stream).
 */
public final class DiscreteGaussianSampler {

  /** Largest σ accepted (grid units): keeps t = ⌊σ⌋ + 1 and every sample far inside a long. */
  public static final double MAX_SIGMA = 0x1p50;

  private static final long LONG_LIMIT = 1L << 61;

  private final RandomBits bits;

  public DiscreteGaussianSampler(RandomBits bits) {
    this.bits = Objects.requireNonNull(bits, "bits");
  }

  /** One draw from N_Z(0, σ²) with σ in grid units, 0 &lt; σ ≤ 2^50. */
  public long sample(double sigmaInGridUnits) {
    return sample(new Params(sigmaInGridUnits));
  }

  /** n independent draws from N_Z(0, σ²). */
  public long[] sample(int n, double sigmaInGridUnits) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, got " + n);
    }
    Params p = new Params(sigmaInGridUnits);
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = sample(p);
    }
    return out;
  }

  /** σ² = sigma2Num/sigma2Den exactly, t = ⌊σ⌋ + 1, and the fixed parts of the CKS exponent. */
  private static final class Params {
    final long t;
    final BigInteger sigma2Num;
    final BigInteger denTimesT; // sigma2Den·t
    final BigInteger gammaDen; // 2·sigma2Num·sigma2Den·t²

    Params(double sigma) {
      if (!(sigma > 0) || sigma > MAX_SIGMA) {
        throw new IllegalArgumentException(
            "sigmaInGridUnits must be finite and in (0, 2^50], got " + sigma);
      }
      int exp = Math.max(Math.getExponent(sigma), Double.MIN_EXPONENT) - 52;
      long mantissa = (long) Math.scalb(sigma, -exp); // exact: sigma = mantissa·2^exp
      int tz = Long.numberOfTrailingZeros(mantissa);
      mantissa >>= tz;
      exp += tz;
      BigInteger m2 = BigInteger.valueOf(mantissa).pow(2);
      BigInteger num;
      BigInteger den;
      if (exp >= 0) {
        num = m2.shiftLeft(2 * exp);
        den = BigInteger.ONE;
      } else {
        num = m2;
        den = BigInteger.ONE.shiftLeft(-2 * exp);
      }
      this.t = (long) Math.floor(sigma) + 1;
      BigInteger bt = BigInteger.valueOf(t);
      this.sigma2Num = num;
      this.denTimesT = den.multiply(bt);
      this.gammaDen = num.multiply(den).multiply(bt).multiply(bt).shiftLeft(1);
    }
  }

  private long sample(Params p) {
    while (true) {
      long y = discreteLaplace(p.t);
      // γ = (|y| − σ²/t)²/(2σ²) = (|y|·den·t − num)² / (2·num·den·t²).
      BigInteger diff =
          BigInteger.valueOf(Math.abs(y)).multiply(p.denTimesT).subtract(p.sigma2Num);
      if (bernoulliExpMinus(diff.multiply(diff), p.gammaDen)) {
        return y;
      }
    }
  }

  /**
   * CKS Algorithm 2 with s = 1: P[Y = y] ∝ exp(−|y|/t) on the integers, t ≥ 1.
   */
  long discreteLaplace(long t) {
    if (t < 1) {
      throw new IllegalArgumentException("t must be >= 1, got " + t);
    }
    while (true) {
      long u = bits.nextBelow(t);
      if (!bernoulliExpMinusSmall(u, t)) {
        continue;
      }
      long v = 0;
      while (bernoulliExpMinusSmall(1, 1)) {
        v++;
      }
      long x = Math.addExact(u, Math.multiplyExact(t, v));
      boolean negative = bits.nextBit();
      if (negative && x == 0) {
        continue;
      }
      return negative ? -x : x;
    }
  }

  /** Bernoulli(exp(−num/den)) for num ≥ 0, den ≥ 1 (CKS Algorithm 1 and its γ &gt; 1 extension). */
  boolean bernoulliExpMinus(BigInteger num, BigInteger den) {
    if (num.signum() < 0 || den.signum() <= 0) {
      throw new IllegalArgumentException("need num >= 0 and den > 0");
    }
    if (num.bitLength() < 62 && den.bitLength() < 62) {
      return bernoulliExpMinus(num.longValueExact(), den.longValueExact());
    }
    BigInteger[] qr = num.divideAndRemainder(den);
    BigInteger whole = qr[0];
    if (whole.bitLength() < 63) {
      for (long k = whole.longValue(); k > 0; k--) {
        if (!bernoulliExpMinusSmall(1, 1)) {
          return false;
        }
      }
    } else {
      for (BigInteger k = whole; k.signum() > 0; k = k.subtract(BigInteger.ONE)) {
        if (!bernoulliExpMinusSmall(1, 1)) {
          return false;
        }
      }
    }
    return bernoulliExpMinusSmall(qr[1], den);
  }

  private boolean bernoulliExpMinus(long num, long den) {
    for (long k = num / den; k > 0; k--) {
      if (!bernoulliExpMinusSmall(1, 1)) {
        return false;
      }
    }
    return bernoulliExpMinusSmall(num % den, den);
  }

  /** CKS Algorithm 1: Bernoulli(exp(−γ)) for γ = num/den ∈ [0, 1]. */
  private boolean bernoulliExpMinusSmall(long num, long den) {
    long k = 1;
    while (true) {
      // Bernoulli(γ/k) = Bernoulli(num/(den·k)).
      if (den > LONG_LIMIT / k) {
        return bernoulliExpMinusSmall(BigInteger.valueOf(num), BigInteger.valueOf(den), k);
      }
      if (!bernoulli(num, den * k)) {
        break;
      }
      k++;
    }
    return (k & 1) == 1;
  }

  private boolean bernoulliExpMinusSmall(BigInteger num, BigInteger den) {
    return bernoulliExpMinusSmall(num, den, 1);
  }

  private boolean bernoulliExpMinusSmall(BigInteger num, BigInteger den, long startK) {
    long k = startK;
    while (bernoulli(num, den.multiply(BigInteger.valueOf(k)))) {
      k++;
    }
    return (k & 1) == 1;
  }

  /** Bernoulli(n/d) for 0 ≤ n, 1 ≤ d &lt; 2^61: compares a lazily drawn uniform U with n/d. */
  boolean bernoulli(long n, long d) {
    if (n <= 0) {
      return false;
    }
    if (n >= d) {
      return true;
    }
    long r = n;
    while (true) {
      r <<= 1;
      boolean digit = r >= d;
      if (digit) {
        r -= d;
      }
      boolean u = bits.nextBit();
      if (u != digit) {
        return digit; // first difference: U < n/d iff n/d has the 1 there
      }
      if (r == 0) {
        return false; // n/d's expansion ended and U matched it so far: U ≥ n/d
      }
    }
  }

  /** Bernoulli(n/d) for BigInteger n ≥ 0, d ≥ 1. */
  boolean bernoulli(BigInteger n, BigInteger d) {
    if (n.signum() <= 0) {
      return false;
    }
    if (n.compareTo(d) >= 0) {
      return true;
    }
    BigInteger r = n;
    while (true) {
      r = r.shiftLeft(1);
      boolean digit = r.compareTo(d) >= 0;
      if (digit) {
        r = r.subtract(d);
      }
      boolean u = bits.nextBit();
      if (u != digit) {
        return digit;
      }
      if (r.signum() == 0) {
        return false;
      }
    }
  }
}
