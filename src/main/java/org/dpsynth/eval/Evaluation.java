package org.dpsynth.eval;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Distances between a real corpus and a synthetic one in embedding space, plus the total variation
 * between their label distributions. Plain Java over vectors already computed.
 */
public record Evaluation(int real, int synthetic, double frechet, double nearestRealToSynthetic,
    double nearestSyntheticToReal, Double labelTotalVariation) {

  public static Evaluation of(float[][] real, float[][] synthetic, List<String> realLabels, List<String> syntheticLabels) {
    Double tv = realLabels == null || syntheticLabels == null ? null : totalVariation(realLabels, syntheticLabels);
    return new Evaluation(real.length, synthetic.length, FrechetDistance.between(real, synthetic),
        ChamferDistance.oneWay(real, synthetic), ChamferDistance.oneWay(synthetic, real), tv);
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
    o.put("nn_distance_real_to_synthetic", nearestRealToSynthetic);
    o.put("nn_distance_synthetic_to_real", nearestSyntheticToReal);
    if (labelTotalVariation != null) {
      o.put("label_total_variation", labelTotalVariation);
    }
    return o;
  }
}
