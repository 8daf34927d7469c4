package org.dpsynth.foundation.ngram;

import org.dpsynth.text.PublicCorpus;
import org.dpsynth.text.WordTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The public records the embedded generator may hand out verbatim in {@code generator.mode: public}:
 * each record's TF-IDF vector over its lower-cased word tokens (sublinear term frequency, idf =
 * ln(N / df), L2-normalised) with an inverted index, so that the cosine of a text (a parent, or a
 * label's keywords) to every public record costs one pass over the postings of the text's words.
 *
 * <p>Why lexical and not the embedder's space: the generator contract is modality- and
 * embedder-agnostic and is built per executor JVM from the generator config alone; embedding the
 * public corpus with MiniLM would cost every JVM tens of seconds per thousand records and tie the
 * generator to one embedder. A near neighbour here only has to be a plausible candidate: PE's votes,
 * in the embedder's space, decide which candidates survive. Immutable and thread-safe.
 */
final class PublicIndex {
  private final List<String> texts;
  private final List<String> labels;
  private final Map<String, Integer> vocabulary = new HashMap<>();
  private final double[] idf;
  /** Per record: its distinct term ids and their normalised weights. */
  private final int[][] recordTerms;
  private final float[][] recordWeights;
  /** Per term: the records that contain it and the term's weight in each. */
  private final int[][] postingRecords;
  private final float[][] postingWeights;
  private final Map<String, int[]> byLabel = new LinkedHashMap<>();

  private PublicIndex(List<String> texts, List<String> labels) {
    this.texts = texts;
    this.labels = labels;
    int n = texts.size();
    int[][] tf = new int[n][];
    int[][] terms = new int[n][];
    List<Integer> df = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      Map<Integer, Integer> counts = new LinkedHashMap<>();
      for (String tok : WordTokenizer.tokenize(texts.get(r))) {
        if (WordTokenizer.isWord(tok)) {
          int id = vocabulary.computeIfAbsent(tok, k -> vocabulary.size());
          counts.merge(id, 1, Integer::sum);
        }
      }
      terms[r] = counts.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
      tf[r] = new int[terms[r].length];
      for (int i = 0; i < terms[r].length; i++) {
        tf[r][i] = counts.get(terms[r][i]);
        while (df.size() <= terms[r][i]) {
          df.add(0);
        }
        df.set(terms[r][i], df.get(terms[r][i]) + 1);
      }
    }
    int v = vocabulary.size();
    idf = new double[v];
    for (int t = 0; t < v; t++) {
      idf[t] = Math.log(n / (double) df.get(t));
    }
    recordTerms = terms;
    recordWeights = new float[n][];
    int[] postingSize = new int[v];
    for (int r = 0; r < n; r++) {
      double[] w = new double[terms[r].length];
      double norm = 0;
      for (int i = 0; i < w.length; i++) {
        w[i] = (1 + Math.log(tf[r][i])) * idf[terms[r][i]];
        norm += w[i] * w[i];
      }
      norm = Math.sqrt(norm);
      recordWeights[r] = new float[w.length];
      for (int i = 0; i < w.length; i++) {
        recordWeights[r][i] = norm > 0 ? (float) (w[i] / norm) : 0f;
        postingSize[terms[r][i]]++;
      }
    }
    postingRecords = new int[v][];
    postingWeights = new float[v][];
    for (int t = 0; t < v; t++) {
      postingRecords[t] = new int[postingSize[t]];
      postingWeights[t] = new float[postingSize[t]];
    }
    int[] fill = new int[v];
    for (int r = 0; r < n; r++) {
      for (int i = 0; i < recordTerms[r].length; i++) {
        int t = recordTerms[r][i];
        postingRecords[t][fill[t]] = r;
        postingWeights[t][fill[t]++] = recordWeights[r][i];
      }
    }
    if (labels != null) {
      Map<String, List<Integer>> groups = new LinkedHashMap<>();
      for (int r = 0; r < n; r++) {
        groups.computeIfAbsent(labels.get(r), k -> new ArrayList<>()).add(r);
      }
      groups.forEach((l, ids) -> byLabel.put(l, ids.stream().mapToInt(Integer::intValue).toArray()));
    }
  }

  /** Indexes {@code records} (texts, and labels when the corpus is labelled). */
  static PublicIndex build(PublicCorpus.Records records) {
    return new PublicIndex(records.texts(), records.labels());
  }

  int size() {
    return texts.size();
  }

  String text(int record) {
    return texts.get(record);
  }

  boolean labelled() {
    return labels != null;
  }

  /** The records of {@code label} in a labelled corpus, or null when it has none (or no labels). */
  int[] recordsOf(String label) {
    return byLabel.get(label);
  }

  /**
   * The cosine of the TF-IDF vector of {@code tokens} (lower-cased words; others are ignored) to
   * every record; 0 where they share no word.
   */
  double[] cosines(List<String> tokens) {
    Map<Integer, Integer> counts = new HashMap<>();
    for (String tok : tokens) {
      Integer id = vocabulary.get(tok);
      if (id != null) {
        counts.merge(id, 1, Integer::sum);
      }
    }
    double[] scores = new double[texts.size()];
    double norm = 0;
    for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
      double w = (1 + Math.log(e.getValue())) * idf[e.getKey()];
      norm += w * w;
    }
    if (norm == 0) {
      return scores;
    }
    double inv = 1 / Math.sqrt(norm);
    for (Map.Entry<Integer, Integer> e : counts.entrySet()) {
      int t = e.getKey();
      double w = (1 + Math.log(e.getValue())) * idf[t] * inv;
      int[] recs = postingRecords[t];
      float[] ws = postingWeights[t];
      for (int i = 0; i < recs.length; i++) {
        scores[recs[i]] += w * ws[i];
      }
    }
    return scores;
  }

  /**
   * The (at most) {@code m} records most similar to {@code text} by TF-IDF cosine, most similar
   * first, among {@code candidates} (null: all records), leaving out records whose text equals
   * {@code text} and records sharing no word with it. Ties go to the lower record id.
   */
  int[] nearest(String text, int m, int[] candidates) {
    double[] s = cosines(WordTokenizer.tokenize(text));
    int[] top = new int[m];
    double[] topScore = new double[m];
    int k = 0;
    int n = candidates == null ? texts.size() : candidates.length;
    for (int i = 0; i < n; i++) {
      int r = candidates == null ? i : candidates[i];
      double score = s[r];
      if (!(score > 0) || (k == m && score <= topScore[k - 1]) || texts.get(r).equals(text)) {
        continue;
      }
      int j = k < m ? k++ : k - 1;
      while (j > 0 && topScore[j - 1] < score) {
        topScore[j] = topScore[j - 1];
        top[j] = top[j - 1];
        j--;
      }
      topScore[j] = score;
      top[j] = r;
    }
    return Arrays.copyOf(top, k);
  }
}
