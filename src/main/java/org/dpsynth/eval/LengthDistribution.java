package org.dpsynth.eval;

import java.util.Arrays;
import java.util.List;

/**
 * Distance between the word-count distributions of two corpora: the Wasserstein-1 distance
 * (area between the two empirical CDFs, in words) and the Kolmogorov–Smirnov statistic (largest
 * gap between them).
 */
public record LengthDistribution(double realMeanWords, double syntheticMeanWords, double wasserstein1, double ks) {

  public static LengthDistribution of(List<String> real, List<String> synthetic) {
    double[] a = wordCounts(real);
    double[] b = wordCounts(synthetic);
    return new LengthDistribution(Arrays.stream(a).average().orElse(0), Arrays.stream(b).average().orElse(0),
        wasserstein1(a, b), ks(a, b));
  }

  /** Words are maximal runs of non-whitespace. */
  public static int wordCount(String text) {
    String t = text == null ? "" : text.strip();
    return t.isEmpty() ? 0 : t.split("\\s+").length;
  }

  static double[] wordCounts(List<String> texts) {
    if (texts.isEmpty()) {
      throw new IllegalArgumentException("need at least one text");
    }
    return texts.stream().mapToDouble(LengthDistribution::wordCount).toArray();
  }

  /** ∫ |F_a(x) − F_b(x)| dx, by a merge over the sorted samples. */
  public static double wasserstein1(double[] a, double[] b) {
    double[] area = {0};
    walk(a, b, (gap, width) -> area[0] += gap * width);
    return area[0];
  }

  /** sup_x |F_a(x) − F_b(x)|. */
  public static double ks(double[] a, double[] b) {
    double[] sup = {0};
    walk(a, b, (gap, width) -> sup[0] = Math.max(sup[0], gap));
    return sup[0];
  }

  /** What {@link #walk} reports for each interval between consecutive distinct values. */
  private interface Step {
    void accept(double gap, double width);
  }

  /**
   * Walks the two empirical CDFs over the merged sorted samples: for each distinct value v (in
   * order) reports |F_a − F_b| on the interval that ends at v (gap) and that interval's width, then
   * |F_a(v) − F_b(v)| with width 0 — so a sum of gap × width is the area between the CDFs and the
   * largest gap is their sup distance.
   */
  private static void walk(double[] a, double[] b, Step step) {
    double[] x = a.clone();
    double[] y = b.clone();
    Arrays.sort(x);
    Arrays.sort(y);
    int i = 0;
    int j = 0;
    double prev = Math.min(x[0], y[0]);
    while (i < x.length || j < y.length) {
      double next = j >= y.length || (i < x.length && x[i] <= y[j]) ? x[i] : y[j];
      step.accept(Math.abs((double) i / x.length - (double) j / y.length), next - prev);
      while (i < x.length && x[i] == next) {
        i++;
      }
      while (j < y.length && y[j] == next) {
        j++;
      }
      step.accept(Math.abs((double) i / x.length - (double) j / y.length), 0);
      prev = next;
    }
  }
}
