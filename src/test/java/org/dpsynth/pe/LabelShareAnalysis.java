package org.dpsynth.pe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.dpsynth.run.LabelShares;

/**
 * OPERATOR-ONLY analysis behind docs/utility.md ("The label release: record shares, the clip"):
 * for a finished PE run, compares the label shares of the private records after
 * {@code max_records_per_user} bounding (from private/embeddings.parquet), of the released noisy
 * counts (public/labels.json), of the population allocation, and of a real test file; and, for
 * several clips B of the label release, the noiseless clipped counts (bias) against the noise
 * stddev z·B (z read from labels.json). Exact counts over private data: for the sample corpora
 * only, never for a real private corpus's public outputs.
 *
 * <pre>
 * java -cp target/classes:target/test-classes:$(cat target/classpath.txt) org.dpsynth.pe.LabelShareAnalysis RUN TEST.jsonl POPULATION_SIZE [RUN...]
 * </pre>
 */
public final class LabelShareAnalysis {
  private LabelShareAnalysis() {}

  public static void main(String[] args) throws IOException {
    String test = args[1];
    int populationSize = Integer.parseInt(args[2]);
    SparkSession spark = SparkSession.builder().master("local[2]").config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    List<String> runs = new ArrayList<>(List.of(args[0]));
    for (int i = 3; i < args.length; i++) {
      runs.add(args[i]);
    }
    ObjectMapper json = new ObjectMapper();
    JsonNode release0 = read(json, runs.get(0) + "/public/labels.json");
    List<String> labels = new ArrayList<>();
    release0.path("labels").forEach(n -> labels.add(n.asText()));
    int l = labels.size();
    double z = release0.path("noise_stddev").asDouble() / release0.path("sensitivity").asDouble();

    double[] testShares = new double[l];
    List<Row> testLabels = spark.read().json(test).groupBy("label").count().collectAsList();
    double testTotal = 0;
    for (Row r : testLabels) {
      int i = labels.indexOf(r.<String>getAs("label"));
      if (i >= 0) {
        testShares[i] = r.<Long>getAs("count");
        testTotal += testShares[i];
      }
    }
    for (int i = 0; i < l; i++) {
      testShares[i] /= testTotal;
    }
    System.out.printf(Locale.ROOT, "labels %s, noise multiplier z = %.4f, test shares %s%n", labels, z, fmt(testShares));

    // The bounded private records of the first run (the bounding depends only on the data and pe.seed).
    JavaRDD<long[]> perUser = PrivateEmbeddings.labelCounts(
        spark.read().parquet(runs.get(0) + "/private/embeddings.parquet"), l).cache();
    List<long[]> users = perUser.collect();
    long[] records = new long[l];
    long[] usersWith = new long[l];
    int cap = 0;
    for (long[] u : users) {
      long n = 0;
      for (int i = 0; i < l; i++) {
        records[i] += u[i];
        usersWith[i] += u[i] > 0 ? 1 : 0;
        n += u[i];
      }
      cap = (int) Math.max(cap, n);
    }
    double[] recordShares = shares(toDouble(records));
    System.out.printf(Locale.ROOT, "bounded private records per label %s (shares %s, TV to test %.4f); users with a record of the label %s; %d users, largest %d records%n",
        java.util.Arrays.toString(records), fmt(recordShares), tv(recordShares, testShares),
        java.util.Arrays.toString(usersWith), users.size(), cap);

    System.out.println("| clip B | noiseless clipped counts | share | bias vs bounded record share | noise stddev z·B | share stddev | RMSE of share | TV to test (noiseless) |");
    System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (double b : new double[] {-1, 1, 2, 4, cap}) {
      boolean unit = b < 0;
      double bound = unit ? 1 : b;
      GridGaussianMechanism grid = new GridGaussianMechanism(bound, l);
      long[] units = LabelShares.clippedSum(perUser, grid, unit);
      double[] counts = new double[l];
      for (int i = 0; i < l; i++) {
        counts[i] = units[i] * grid.grid();
      }
      double total = 0;
      for (double c : counts) {
        total += c;
      }
      double[] s = shares(counts);
      // delta method for the share of label 0, independent noise sigma on every count
      double sigma = z * bound;
      double var = 0;
      for (int i = 0; i < l; i++) {
        double d = (i == 0 ? (total - counts[0]) : -counts[0]) / (total * total);
        var += d * d * sigma * sigma;
      }
      double sd = Math.sqrt(var);
      double bias = s[0] - recordShares[0];
      System.out.printf(Locale.ROOT, "| %s | %s | %.4f | %+.4f | %.2f | %.4f | %.4f | %.4f |%n",
          unit ? "users mode (unit norm)" : String.format(Locale.ROOT, "%.0f", b), fmt0(counts), s[0], bias, sigma, sd,
          Math.sqrt(bias * bias + var), tv(s, testShares));
    }

    System.out.println("| run | released noisy counts | released share | population allocation | allocated share | TV released→test | TV allocation→test | TV released→bounded private |");
    System.out.println("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (String run : runs) {
      JsonNode release = read(json, run + "/public/labels.json");
      double[] noisy = new double[l];
      for (int i = 0; i < l; i++) {
        noisy[i] = release.path("noisy_counts").get(i).asDouble();
      }
      double[] w = LabelShares.proportions(noisy, System.out);
      double[] released = shares(w);
      int[] alloc = LabelShares.allocate(w, populationSize);
      double[] allocShares = new double[l];
      for (int i = 0; i < l; i++) {
        allocShares[i] = alloc[i] / (double) populationSize;
      }
      System.out.printf(Locale.ROOT, "| %s | %s | %s | %s | %s | %.4f | %.4f | %.4f |%n", new File(run).getName(), fmt0(noisy), fmt(released),
          java.util.Arrays.toString(alloc), fmt(allocShares), tv(released, testShares), tv(allocShares, testShares), tv(released, recordShares));
    }
    spark.stop();
  }

  private static JsonNode read(ObjectMapper json, String file) {
    try {
      return json.readTree(new File(file));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static double[] toDouble(long[] v) {
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i];
    }
    return out;
  }

  private static double[] shares(double[] v) {
    double sum = 0;
    for (double x : v) {
      sum += Math.max(0, x);
    }
    double[] out = new double[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = Math.max(0, v[i]) / sum;
    }
    return out;
  }

  private static double tv(double[] p, double[] q) {
    double d = 0;
    for (int i = 0; i < p.length; i++) {
      d += Math.abs(p[i] - q[i]);
    }
    return d / 2;
  }

  private static String fmt(double[] v) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < v.length; i++) {
      b.append(i > 0 ? ", " : "").append(String.format(Locale.ROOT, "%.4f", v[i]));
    }
    return b.append(']').toString();
  }

  private static String fmt0(double[] v) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < v.length; i++) {
      b.append(i > 0 ? ", " : "").append(String.format(Locale.ROOT, "%.1f", v[i]));
    }
    return b.append(']').toString();
  }
}
