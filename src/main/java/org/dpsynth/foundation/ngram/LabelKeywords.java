package org.dpsynth.foundation.ngram;

import org.dpsynth.text.PublicCorpus;
import org.dpsynth.text.WordTokenizer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Per-label keywords derived from a LABELLED PUBLIC corpus, for the embedded generator when no
 * {@code generator.keywords} are configured: for each label, the words whose record frequency in
 * the label's records most exceeds that in the other records, by the z-score of the log-odds ratio
 * with an informative Dirichlet prior (Monroe, Colaresi &amp; Quinn 2008, "Fightin' Words", eq. 22),
 * the prior being each word's frequency over the whole public corpus.
 *
 * <p>The input is only the public corpus: the private corpus never reaches this class (PE's
 * generator runs on public inputs only), so the keywords cost no privacy budget.
 */
final class LabelKeywords {
  /** Prior strength α0 of the Dirichlet prior, in records. */
  static final double PRIOR_RECORDS = 500;
  /** A keyword must occur in at least this many of its label's records. */
  static final int MIN_RECORDS = 3;

  private LabelKeywords() {}

  /**
   * The {@code perLabel} most distinctive words of every label of {@code records} (in first-seen
   * label order; most distinctive first), or an empty map for an unlabelled corpus or one label.
   * Words are lower-cased word tokens of at least 3 characters with a letter; ties break by word.
   */
  static Map<String, List<String>> derive(PublicCorpus.Records records, int perLabel) {
    List<String> labelSet = PublicCorpus.labelSet(records);
    if (labelSet.size() < 2 || perLabel <= 0) {
      return Map.of();
    }
    // record frequency of each word, per label and over all records
    Map<String, Map<String, Integer>> perLabelDf = new LinkedHashMap<>();
    Map<String, Integer> labelRecords = new HashMap<>();
    Map<String, Integer> totalDf = new HashMap<>();
    for (int r = 0; r < records.texts().size(); r++) {
      String label = records.labels().get(r);
      labelRecords.merge(label, 1, Integer::sum);
      Set<String> words = new HashSet<>();
      for (String tok : WordTokenizer.tokenize(records.texts().get(r))) {
        if (tok.length() >= 3 && WordTokenizer.isWord(tok) && tok.chars().anyMatch(Character::isLetter)) {
          words.add(tok);
        }
      }
      Map<String, Integer> df = perLabelDf.computeIfAbsent(label, k -> new HashMap<>());
      for (String w : words) {
        df.merge(w, 1, Integer::sum);
        totalDf.merge(w, 1, Integer::sum);
      }
    }
    double allOccurrences = totalDf.values().stream().mapToDouble(Integer::doubleValue).sum();
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (String label : labelSet) {
      Map<String, Integer> in = perLabelDf.get(label);
      double nIn = in.values().stream().mapToDouble(Integer::doubleValue).sum();
      double nOut = allOccurrences - nIn;
      List<Map.Entry<String, Double>> scored = new ArrayList<>();
      for (Map.Entry<String, Integer> e : in.entrySet()) {
        if (e.getValue() < MIN_RECORDS) {
          continue;
        }
        double yi = e.getValue();
        double yj = totalDf.get(e.getKey()) - yi;
        double a = PRIOR_RECORDS * totalDf.get(e.getKey()) / allOccurrences;
        double delta = Math.log((yi + a) / (nIn + PRIOR_RECORDS - yi - a))
            - Math.log((yj + a) / (nOut + PRIOR_RECORDS - yj - a));
        double z = delta / Math.sqrt(1 / (yi + a) + 1 / (yj + a));
        scored.add(Map.entry(e.getKey(), z));
      }
      scored.sort((x, y) -> !x.getValue().equals(y.getValue()) ? Double.compare(y.getValue(), x.getValue()) : x.getKey().compareTo(y.getKey()));
      List<String> top = new ArrayList<>();
      for (int i = 0; i < Math.min(perLabel, scored.size()) && scored.get(i).getValue() > 0; i++) {
        top.add(scored.get(i).getKey());
      }
      out.put(label, List.copyOf(top));
    }
    return out;
  }
}
