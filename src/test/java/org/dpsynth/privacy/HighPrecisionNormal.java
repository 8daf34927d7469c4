package org.dpsynth.privacy;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Test-only reference: the standard normal CDF and the Balle–Wang δ(ε) in BigDecimal with enough
 * digits that cancellation cannot hurt, to check the double-precision code against.
 */
final class HighPrecisionNormal {

  private HighPrecisionNormal() {}

  /** Digits needed so that Φ(x) for |x| ≤ maxAbs survives the cancellation 1/2 − (1/2 − Φ). */
  static MathContext contextFor(double maxAbs) {
    return new MathContext((int) (maxAbs * maxAbs / 2 * 0.4343) + 60, RoundingMode.HALF_EVEN);
  }

  static BigDecimal pi(MathContext mc) {
    MathContext w = new MathContext(mc.getPrecision() + 10);
    BigDecimal a = arctanInverse(5, w).multiply(BigDecimal.valueOf(16));
    BigDecimal b = arctanInverse(239, w).multiply(BigDecimal.valueOf(4));
    return a.subtract(b, w);
  }

  private static BigDecimal arctanInverse(int n, MathContext mc) {
    BigDecimal x = BigDecimal.ONE.divide(BigDecimal.valueOf(n), mc);
    BigDecimal x2 = x.multiply(x, mc);
    BigDecimal term = x;
    BigDecimal sum = x;
    BigDecimal eps = BigDecimal.ONE.movePointLeft(mc.getPrecision() + 5);
    for (int k = 1; term.abs().compareTo(eps) > 0; k++) {
      term = term.multiply(x2, mc).negate();
      sum = sum.add(term.divide(BigDecimal.valueOf(2L * k + 1), mc), mc);
    }
    return sum;
  }

  /** e^y for y ≥ 0 by the Taylor series (all terms positive). */
  static BigDecimal expNonNegative(BigDecimal y, MathContext mc) {
    if (y.signum() < 0) {
      throw new IllegalArgumentException();
    }
    MathContext w = new MathContext(mc.getPrecision() + 10);
    BigDecimal term = BigDecimal.ONE;
    BigDecimal sum = BigDecimal.ONE;
    for (int n = 1; ; n++) {
      term = term.multiply(y, w).divide(BigDecimal.valueOf(n), w);
      BigDecimal next = sum.add(term, w);
      if (n > y.doubleValue() + 2 && term.compareTo(sum.ulp()) < 0) {
        return next;
      }
      sum = next;
    }
  }

  static BigDecimal exp(BigDecimal y, MathContext mc) {
    if (y.signum() >= 0) {
      return expNonNegative(y, mc);
    }
    return BigDecimal.ONE.divide(expNonNegative(y.negate(), mc), mc);
  }

  /** Φ(x) = 1/2 + φ(x)·Σ x^{2n+1}/(2n+1)!!, with mc wide enough for the cancellation. */
  static BigDecimal phi(BigDecimal x, MathContext mc) {
    MathContext w = new MathContext(mc.getPrecision() + 10);
    BigDecimal x2 = x.multiply(x, w);
    BigDecimal term = x;
    BigDecimal sum = x;
    BigDecimal limit = BigDecimal.ONE.movePointLeft(w.getPrecision() + 5);
    for (int k = 3; ; k += 2) {
      term = term.multiply(x2, w).divide(BigDecimal.valueOf(k), w);
      sum = sum.add(term, w);
      if (k > x2.doubleValue() + 2 && term.abs().compareTo(sum.abs().multiply(limit)) <= 0) {
        break;
      }
    }
    BigDecimal density =
        exp(x2.divide(BigDecimal.valueOf(-2), w), w)
            .divide(pi(w).multiply(BigDecimal.valueOf(2)).sqrt(w), w);
    return BigDecimal.valueOf(0.5).add(density.multiply(sum, w), w);
  }

  /** Balle–Wang δ(ε) = Φ(−ε/μ + μ/2) − e^ε Φ(−ε/μ − μ/2) with exact inputs mu, eps. */
  static double delta(double mu, double eps) {
    double aApprox = -eps / mu + mu / 2;
    double bApprox = -eps / mu - mu / 2;
    MathContext mc = contextFor(Math.max(Math.abs(aApprox), Math.abs(bApprox)) + 1);
    BigDecimal m = new BigDecimal(mu);
    BigDecimal e = new BigDecimal(eps);
    BigDecimal ratio = e.divide(m, mc);
    BigDecimal half = m.divide(BigDecimal.valueOf(2), mc);
    BigDecimal a = ratio.negate().add(half, mc);
    BigDecimal b = ratio.negate().subtract(half, mc);
    BigDecimal d = phi(a, mc).subtract(exp(e, mc).multiply(phi(b, mc), mc), mc);
    return d.doubleValue();
  }

  static double phi(double x) {
    return phi(new BigDecimal(x), contextFor(Math.abs(x) + 1)).doubleValue();
  }

  /** log Φ(x) to double precision (Φ(x) may be below the double range). */
  static double logPhi(double x) {
    BigDecimal p = phi(new BigDecimal(x), contextFor(Math.abs(x) + 1));
    if (p.compareTo(BigDecimal.valueOf(0.1)) > 0) {
      return Math.log1p(p.subtract(BigDecimal.ONE).doubleValue());
    }
    // log(p) = log(unscaled) − scale·log(10), both parts in double are accurate enough here.
    int shift = p.precision() - p.scale() - 1;
    BigDecimal mantissa = p.movePointLeft(shift);
    return Math.log(mantissa.doubleValue()) + shift * Math.log(10);
  }
}
