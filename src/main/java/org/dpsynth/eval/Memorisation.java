package org.dpsynth.eval;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How much of the real text the synthetic texts repeat: for each synthetic text, its nearest real
 * text in embedding space (largest cosine similarity of unit vectors) and the longest run of
 * consecutive word tokens the two share. OPERATOR-ONLY: computed from real text; only the
 * distribution of span lengths leaves this class, never a text.
 */
public record Memorisation(int[] spanLengths, double meanNearestSimilarity) {
  private static final Pattern TOKEN = Pattern.compile("[\\p{L}\\p{N}]+(?:'[\\p{L}]+)?");

  public static Memorisation of(List<String> realTexts, float[][] realVecs, List<String> syntheticTexts, float[][] synVecs) {
    if (realTexts.size() != realVecs.length || syntheticTexts.size() != synVecs.length) {
      throw new IllegalArgumentException("texts and embeddings differ in number");
    }
    List<List<String>> realTokens = new ArrayList<>(realTexts.size());
    realTexts.forEach(t -> realTokens.add(tokens(t)));
    int[] spans = new int[synVecs.length];
    double simSum = 0;
    for (int j = 0; j < synVecs.length; j++) {
      int best = -1;
      double bestSim = Double.NEGATIVE_INFINITY;
      for (int i = 0; i < realVecs.length; i++) {
        double dot = 0;
        for (int c = 0; c < realVecs[i].length; c++) {
          dot += realVecs[i][c] * synVecs[j][c];
        }
        if (dot > bestSim) {
          bestSim = dot;
          best = i;
        }
      }
      simSum += bestSim;
      spans[j] = longestCommonSpan(tokens(syntheticTexts.get(j)), realTokens.get(best));
    }
    return new Memorisation(spans, synVecs.length == 0 ? 0 : simSum / synVecs.length);
  }

  /** Lower-cased word tokens (letters and digits, with an apostrophe suffix kept). */
  public static List<String> tokens(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = TOKEN.matcher(text == null ? "" : text.toLowerCase(Locale.ROOT));
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }

  /** Length of the longest common contiguous token sequence (dynamic programming, O(|a|·|b|)). */
  public static int longestCommonSpan(List<String> a, List<String> b) {
    int[] prev = new int[b.size() + 1];
    int[] cur = new int[b.size() + 1];
    int best = 0;
    for (int i = 1; i <= a.size(); i++) {
      for (int j = 1; j <= b.size(); j++) {
        cur[j] = a.get(i - 1).equals(b.get(j - 1)) ? prev[j - 1] + 1 : 0;
        best = Math.max(best, cur[j]);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
      Arrays.fill(cur, 0);
    }
    return best;
  }

  public double mean() {
    return Arrays.stream(spanLengths).average().orElse(0);
  }

  /** Nearest-rank percentile: the smallest span length with at least q of the texts at or below it. */
  public int percentile(double q) {
    if (spanLengths.length == 0) {
      return 0;
    }
    int[] s = spanLengths.clone();
    Arrays.sort(s);
    int rank = (int) Math.ceil(q * s.length);
    return s[Math.max(0, Math.min(s.length, rank) - 1)];
  }

  public int max() {
    return Arrays.stream(spanLengths).max().orElse(0);
  }

  /** counts[L] = number of synthetic texts whose longest shared span has L tokens. */
  public int[] histogram() {
    int[] counts = new int[max() + 1];
    for (int s : spanLengths) {
      counts[s]++;
    }
    return counts;
  }
}
