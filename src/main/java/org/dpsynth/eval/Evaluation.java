package org.dpsynth.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Utility of a synthetic corpus against a real one: distances in embedding space (Fréchet,
 * nearest-neighbour both ways), MAUVE ({@link Mauve}), k-NN manifold precision/recall/density/coverage, the label and
 * word-count distributions, and optionally downstream accuracy and memorisation. Plain Java over
 * vectors already computed; the Spark classifier result is attached by the caller.
 */
public record Evaluation(int real, int synthetic, double frechet, double nearestRealToSynthetic,
    double nearestSyntheticToReal, Double labelTotalVariation, ManifoldMetrics manifold, LengthDistribution length,
    DownstreamClassifier.Accuracy downstream, Memorisation memorisation, double mauve) {

  /** Texts, labels (null when unlabelled) and unit embeddings of one corpus, in the same order. */
  public record Corpus(List<String> texts, List<String> labels, float[][] vectors) {
    public Corpus {
      if (texts.size() != vectors.length || (labels != null && labels.size() != texts.size())) {
        throw new IllegalArgumentException("texts, labels and vectors differ in number");
      }
    }

    public boolean labelled() {
      return labels != null;
    }

    public DownstreamClassifier.Labelled asLabelled() {
      return new DownstreamClassifier.Labelled(texts, labels, vectors);
    }
  }

  /** The metrics that need no Spark (no downstream accuracy yet). */
  public static Evaluation of(Corpus real, Corpus synthetic, int k) {
    Double tv = real.labelled() && synthetic.labelled() ? totalVariation(real.labels(), synthetic.labels()) : null;
    return new Evaluation(real.texts().size(), synthetic.texts().size(),
        FrechetDistance.between(real.vectors(), synthetic.vectors()),
        ChamferDistance.oneWay(real.vectors(), synthetic.vectors()),
        ChamferDistance.oneWay(synthetic.vectors(), real.vectors()), tv,
        ManifoldMetrics.of(real.vectors(), synthetic.vectors(), k),
        LengthDistribution.of(real.texts(), synthetic.texts()), null,
        Memorisation.of(real.texts(), real.vectors(), synthetic.texts(), synthetic.vectors()),
        Mauve.between(real.vectors(), synthetic.vectors()).mauve());
  }

  public Evaluation withDownstream(DownstreamClassifier.Accuracy accuracy) {
    return new Evaluation(real, synthetic, frechet, nearestRealToSynthetic, nearestSyntheticToReal, labelTotalVariation,
        manifold, length, accuracy, memorisation, mauve);
  }

  /** ½ Σ |p(l) − q(l)| over the union of labels. */
  public static double totalVariation(List<String> a, List<String> b) {
    Map<String, double[]> p = new HashMap<>();
    for (String l : a) {
      p.computeIfAbsent(l, k -> new double[2])[0] += 1.0 / a.size();
    }
    for (String l : b) {
      p.computeIfAbsent(l, k -> new double[2])[1] += 1.0 / b.size();
    }
    double tv = 0;
    for (double[] v : p.values()) {
      tv += Math.abs(v[0] - v[1]);
    }
    return tv / 2;
  }

  public ObjectNode toJson(ObjectMapper m) {
    ObjectNode o = m.createObjectNode();
    o.put("real", real);
    o.put("synthetic", synthetic);
    o.put("frechet_distance", frechet);
    o.put("mauve", mauve);
    o.put("nn_distance_real_to_synthetic", nearestRealToSynthetic);
    o.put("nn_distance_synthetic_to_real", nearestSyntheticToReal);
    if (labelTotalVariation != null) {
      o.put("label_total_variation", labelTotalVariation);
    }
    o.put("k", manifold.k());
    o.put("precision", manifold.precision());
    o.put("recall", manifold.recall());
    o.put("density", manifold.density());
    o.put("coverage", manifold.coverage());
    o.put("length_wasserstein1_words", length.wasserstein1());
    o.put("length_ks", length.ks());
    o.put("real_mean_words", length.realMeanWords());
    o.put("synthetic_mean_words", length.syntheticMeanWords());
    if (downstream != null) {
      downstream.writeTo(o);
    }
    if (memorisation != null) {
      ObjectNode mem = o.putObject("memorisation");
      mem.put("note", "OPERATOR-ONLY: longest shared token span with the nearest real text (embedding)");
      mem.put("mean_span", memorisation.mean());
      mem.put("p50_span", memorisation.percentile(0.5));
      mem.put("p90_span", memorisation.percentile(0.9));
      mem.put("max_span", memorisation.max());
      mem.put("mean_nearest_similarity", memorisation.meanNearestSimilarity());
    }
    return o;
  }
}
