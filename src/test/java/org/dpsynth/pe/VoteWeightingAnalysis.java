package org.dpsynth.pe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.foundation.Embedder;
import org.dpsynth.foundation.Models;

/**
 * OPERATOR-ONLY analysis behind docs/utility.md ("What the clip C does to heavy and light users"):
 * for one iteration of a finished PE run, recomputes every user's vote vector (k = 1, cosine, the
 * run's bounded records from private/embeddings.parquet against that iteration's population) and
 * prints, for several clips C, how much of the noiseless vote mass each group of users (by records
 * after bounding) contributes, and how many samples would clear the threshold 2·σC. Exact counts
 * over private data: for the sample corpora only, never for a real private corpus's public outputs.
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat target/classpath.txt) org.dpsynth.pe.VoteWeightingAnalysis RUN ITERATION SIGMA
 * </pre>
 */
public final class VoteWeightingAnalysis {
  private VoteWeightingAnalysis() {}

  public static void main(String[] args) {
    String run = args[0];
    int iteration = Integer.parseInt(args[1]);
    double sigma = Double.parseDouble(args[2]);
    SparkSession spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    List<Row> records = spark.read().parquet(run + "/private/embeddings.parquet").collectAsList();
    List<Row> population = spark.read().parquet(String.format("%s/public/iterations/%03d/population.parquet", run, iteration))
        .orderBy("id").collectAsList();
    List<String> labelNames = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    for (Row r : population) {
      texts.add(r.getAs("text"));
      labelNames.add(r.getAs("label"));
    }
    // a record's label index is its label's position in the run's label list (the manifest's "labels")
    List<String> labelOrder = new ArrayList<>();
    try {
      new com.fasterxml.jackson.databind.ObjectMapper().readTree(new java.io.File(run + "/public/manifest.json"))
          .path("labels").forEach(n -> labelOrder.add(n.asText()));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    Embedder embedder = Models.embedder(ConfigLoader.load(null, List.of("labels.names=[all]")).embedder(), null);
    float[][] samples = embedder.embed(texts).vectors();
    // private/embeddings.parquet holds one row per user: user, records (score, label index, vec)
    Map<String, List<Integer>> votesOf = new HashMap<>();
    long totalRecords = 0;
    for (Row u : records) {
      for (Row rec : u.<Row>getList(u.fieldIndex("records"))) {
        totalRecords++;
        String labelName = labelOrder.get(rec.<Integer>getAs(org.dpsynth.data.ContributionBounds.LABEL_INDEX));
        List<Float> vec = rec.getList(rec.fieldIndex("vec"));
        int best = -1;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < samples.length; j++) {
          if (!labelNames.get(j).equals(labelName)) {
            continue;
          }
          double s = 0;
          for (int d = 0; d < samples[j].length; d++) {
            s += samples[j][d] * vec.get(d);
          }
          if (s > bestScore) {
            bestScore = s;
            best = j;
          }
        }
        votesOf.computeIfAbsent(u.<String>getAs(org.dpsynth.data.CorpusReader.USER), k -> new ArrayList<>()).add(best);
      }
    }
    Map<String, int[]> groups = new LinkedHashMap<>();
    groups.put("1 record", new int[] {1, 1});
    groups.put("2-3 records", new int[] {2, 3});
    groups.put("4-7 records", new int[] {4, 7});
    groups.put("8 records (the cap)", new int[] {8, Integer.MAX_VALUE});
    System.out.printf(Locale.ROOT, "users %d, bounded records %d, population %d, sigma %.4f%n", votesOf.size(), totalRecords,
        samples.length, sigma);
    for (Map.Entry<String, int[]> g : groups.entrySet()) {
      long users = 0;
      long recs = 0;
      double l2 = 0;
      for (List<Integer> v : votesOf.values()) {
        if (v.size() >= g.getValue()[0] && v.size() <= g.getValue()[1]) {
          users++;
          recs += v.size();
          l2 += norm(v);
        }
      }
      System.out.printf(Locale.ROOT, "%-20s users %5d  records %5d (%.1f%%)  mean vote-vector norm %.2f%n", g.getKey(), users, recs,
          100.0 * recs / totalRecords, users == 0 ? 0 : l2 / users);
    }
    System.out.println("| C | noise stddev sigma*C | vote mass (noiseless) | share of mass: 1-record users | 2-3 | 4-7 | 8 (cap) "
        + "| samples above 2 sigma C | mass above 2 sigma C |");
    System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (double c : new double[] {0.5, 1, 2, Math.sqrt(8), 8}) {
      double[] h = new double[samples.length];
      Map<String, Double> massOf = new LinkedHashMap<>();
      double total = 0;
      for (List<Integer> v : votesOf.values()) {
        double scale = Math.min(1, c / norm(v));
        for (int j : v) {
          h[j] += scale;
        }
        double mass = v.size() * scale;
        total += mass;
        for (Map.Entry<String, int[]> g : groups.entrySet()) {
          if (v.size() >= g.getValue()[0] && v.size() <= g.getValue()[1]) {
            massOf.merge(g.getKey(), mass, Double::sum);
          }
        }
      }
      double threshold = 2 * sigma * c;
      int above = 0;
      double massAbove = 0;
      for (double x : h) {
        if (x > threshold) {
          above++;
          massAbove += x;
        }
      }
      StringBuilder row = new StringBuilder(String.format(Locale.ROOT, "| %.2f | %.2f | %.0f |", c, sigma * c, total));
      for (String g : groups.keySet()) {
        row.append(String.format(Locale.ROOT, " %.1f%% |", 100 * massOf.getOrDefault(g, 0.0) / total));
      }
      row.append(String.format(Locale.ROOT, " %d | %.1f%% |", above, 100 * massAbove / total));
      System.out.println(row);
    }
    // provenance of the final synthetic sets of the runs named after the first three arguments
    for (int a = 3; a < args.length; a++) {
      for (Row r : spark.read().parquet(args[a] + "/public/synthetic").groupBy("provenance", "label").count()
          .orderBy("provenance", "label").collectAsList()) {
        System.out.printf(Locale.ROOT, "%s final synthetic: provenance %s, label %s: %d%n", args[a], r.get(0), r.get(1), r.getLong(2));
      }
    }
    spark.stop();
  }

  /** L2 norm of a user's k = 1 vote vector: sqrt of the sum of squared per-sample vote counts. */
  static double norm(List<Integer> votes) {
    Map<Integer, Integer> counts = new HashMap<>();
    votes.forEach(j -> counts.merge(j, 1, Integer::sum));
    double s = 0;
    for (int n : counts.values()) {
      s += (double) n * n;
    }
    return Math.sqrt(s);
  }
}
