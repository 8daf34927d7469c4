package org.dpsynth.run;

import com.fasterxml.jackson.databind.node.ArrayNode;
import java.io.PrintStream;
import org.apache.hadoop.fs.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.config.JobConfig;
import org.dpsynth.data.ContributionBounds;
import org.dpsynth.data.CorpusReader;
import org.dpsynth.privacy.GridGaussianMechanism;

/**
 * DP label shares, released once per run when {@code labels.proportions: dp} (PE and DP
 * fine-tuning): the number of <em>records</em> per label after contribution bounding
 * ({@code labels.shares: records}, the default), so the synthetic corpus matches the label
 * distribution a downstream model sees; or the number of <em>users</em> per label
 * ({@code labels.shares: users}).
 *
 * <p>Each user contributes their per-label count vector (at most L records in all, L the label
 * release's own record cap {@link #recordCap}: {@code labels.max_records_per_user}, by default
 * {@code input.max_records_per_user}), clipped to the L2 bound B: B = {@code labels.clip}, by
 * default L, which leaves every user's counts exact. In {@code users} mode the vector is scaled to unit norm
 * (B = 1), so every user weighs the same. The sum over users has L2 sensitivity B under adding or
 * removing one user; it is released with Gaussian noise of stddev z·B (z the run's noise multiplier)
 * and charged as one Gaussian release with that stddev and sensitivity.
 */
public final class LabelShares {
  /** The ledger name of the label release. */
  public static final String RELEASE = "labels";

  /**
   * The share of {@code privacy.min_users} that {@code labels.max_records_per_user: auto} lets the
   * noise stddev of each released count reach (see {@link #autoRecordCap}).
   */
  public static final double AUTO_NOISE_SHARE = 0.05;

  private LabelShares() {}

  /**
   * The record cap L of the label release: {@code labels.max_records_per_user} when a number >= 1,
   * {@code inputCap} (the votes' {@code input.max_records_per_user}) when 0, and {@link
   * #autoRecordCap} of the release's noise multiplier {@code z} and {@code minUsers} when {@code auto}.
   */
  public static int recordCap(JobConfig.Labels labels, int inputCap, double z, long minUsers) {
    if (labels.autoRecordCap()) {
      return autoRecordCap(z, minUsers);
    }
    Integer fixed = labels.fixedRecordCap();
    if (fixed == null || fixed < 0) {
      throw new IllegalArgumentException("labels.max_records_per_user: expected " + JobConfig.Labels.CAP_FORM);
    }
    return fixed == 0 ? inputCap : fixed;
  }

  /**
   * {@code labels.max_records_per_user: auto}: the largest cap L whose noise stddev per released
   * count, z·L (the bound B = L), is at most {@link #AUTO_NOISE_SHARE} of {@code minUsers}, the
   * public lower bound on the number of users (and so on the number of records counted), and at
   * least 1: L = max(1, floor(0.05 · min_users / z)). Only public quantities: z follows from
   * (epsilon, delta) and the number of releases, min_users is declared by the operator.
   */
  public static int autoRecordCap(double z, long minUsers) {
    if (!(z > 0) || !Double.isFinite(z) || minUsers < 1) {
      throw new IllegalArgumentException("labels.max_records_per_user: auto needs a noise multiplier > 0 and privacy.min_users >= 1");
    }
    double cap = Math.floor(AUTO_NOISE_SHARE * minUsers / z + 1e-9);
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, cap));
  }

  /** The L2 bound B of one user's vector, given the label release's record cap L ({@link #recordCap}). */
  public static double bound(JobConfig.Labels labels, int recordCap) {
    if (labels.users()) {
      return 1.0;
    }
    return labels.clip() > 0 ? labels.clip() : recordCap;
  }

  /** The charge of the label release with noise multiplier {@code z} and record cap {@code recordCap}. */
  public static PrivateRun.Charge charge(JobConfig.Labels labels, int recordCap, double z) {
    double b = bound(labels, recordCap);
    return PrivateRun.Charge.gaussian(RELEASE, z * b, b, 1);
  }

  /**
   * Releases (or reads back) the noisy label counts into {@code public/labels.json}.
   *
   * @param perUserCounts one vector per user: the user's record count per label, bounded to {@code recordCap}
   */
  public static double[] release(ChargedRun run, JavaRDD<long[]> perUserCounts, List<String> labels,
      JobConfig.Labels cfg, int recordCap, double z) {
    double b = bound(cfg, recordCap);
    double stddev = z * b;
    GridGaussianMechanism grid = new GridGaussianMechanism(b, labels.size());
    Path file = run.run().dir().labelRelease();
    return run.release(RELEASE, run.run().dir().vectorRelease(file, "noisy_counts", o -> {
      o.put("release", RELEASE);
      o.put("counts", cfg.users() ? "users" : "records");
      o.put("mechanism", "gaussian");
      o.put("noise_stddev", stddev);
      o.put("sensitivity", b);
      o.put("max_records_per_user", recordCap);
      ArrayNode names = o.putArray("labels");
      labels.forEach(names::add);
    }), noise -> grid.release(clippedSum(perUserCounts, grid, cfg.users()), stddev, noise));
  }

  /** Label proportions from noisy counts: negative counts are zero; all zero falls back to uniform (and says so). */
  public static double[] proportions(double[] noisy, PrintStream console) {
    double[] w = new double[noisy.length];
    boolean any = false;
    for (int l = 0; l < w.length; l++) {
      w[l] = Math.max(0, noisy[l]);
      any |= w[l] > 0;
    }
    if (!any) {
      console.println("note: every DP label count is <= 0 after noise; using uniform label proportions");
      Arrays.fill(w, 1.0);
    }
    return w;
  }

  /**
   * A run's label proportions: the public weights, or the DP release ({@link #release}) of each
   * user's label counts under the release's record cap {@code labelCap}. When that cap is the
   * method's own ({@code input.max_records_per_user}) the counts are {@code ownCapCounts} (from the
   * method's bounded rows); otherwise the corpus is bounded again at {@code labelCap} in the same
   * seeded order ({@code seed}), so the method's records are among those counted.
   */
  public static double[] ofRun(SparkSession spark, ChargedRun charged, JobConfig.Input input, JobConfig.Labels cfg, List<String> labels,
      int labelCap, long seed, double noiseMultiplier, Supplier<JavaRDD<long[]>> ownCapCounts, PrintStream console) {
    if (!cfg.dpProportions()) {
      return publicWeights(cfg, labels);
    }
    JavaRDD<long[]> counts;
    if (labelCap == input.maxRecordsPerUser()) {
      counts = ownCapCounts.get();
    } else {
      console.printf("label release: at most %d records per user (labels.max_records_per_user %s; the method keeps %d)%n",
          labelCap, cfg.maxRecordsPerUser(), input.maxRecordsPerUser());
      counts = ContributionBounds.labelCounts(ContributionBounds.apply(CorpusReader.read(spark, input), labels, labelCap, seed), labels.size());
    }
    return proportions(release(charged, counts, labels, cfg, labelCap, noiseMultiplier), console);
  }

  /** Public proportions: {@code labels.weights}, or uniform. */
  public static double[] publicWeights(JobConfig.Labels cfg, List<String> labels) {
    Map<String, Double> weights = cfg.weights();
    double[] w = new double[labels.size()];
    for (int l = 0; l < w.length; l++) {
      w[l] = weights == null || weights.isEmpty() ? 1.0 : weights.getOrDefault(labels.get(l), 0.0);
    }
    return w;
  }

  /**
   * Splits {@code total} into per-label counts proportional to {@code weights} (largest remainder),
   * giving every label at least one sample so each label keeps a population to vote for.
   */
  public static int[] allocate(double[] weights, int total) {
    int l = weights.length;
    int[] counts = new int[l];
    if (l == 0) {
      return counts;
    }
    double sum = 0;
    for (double w : weights) {
      sum += Math.max(0, w);
    }
    double[] share = new double[l];
    for (int i = 0; i < l; i++) {
      share[i] = sum > 0 ? Math.max(0, weights[i]) / sum : 1.0 / l;
    }
    int budget = Math.max(total, l);
    int assigned = 0;
    double[] rem = new double[l];
    for (int i = 0; i < l; i++) {
      double exact = share[i] * (budget - l);
      counts[i] = 1 + (int) Math.floor(exact);
      rem[i] = exact - Math.floor(exact);
      assigned += counts[i];
    }
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < l; i++) {
      order.add(i);
    }
    order.sort(Comparator.comparingDouble((Integer i) -> -rem[i]).thenComparingInt(i -> i));
    for (int j = 0; assigned < budget; j++) {
      counts[order.get(j % l)]++;
      assigned++;
    }
    return counts;
  }

  /** Σ over users of their count vectors clipped to the grid's bound (or scaled to it, {@code unitNorm}), in grid units, summed on executors. */
  public static long[] clippedSum(JavaRDD<long[]> perUserCounts, GridGaussianMechanism grid, boolean unitNorm) {
    return perUserCounts.mapPartitions(new ClipAndRound(grid, unitNorm))
        .treeReduce(GridGaussianMechanism::addInto, 2);
  }

  private static final class ClipAndRound implements FlatMapFunction<Iterator<long[]>, long[]> {
    private final GridGaussianMechanism grid;
    private final boolean unitNorm;

    ClipAndRound(GridGaussianMechanism grid, boolean unitNorm) {
      this.grid = grid;
      this.unitNorm = unitNorm;
    }

    @Override
    public Iterator<long[]> call(Iterator<long[]> users) {
      long[] acc = new long[grid.dimension()];
      double[] v = new double[grid.dimension()];
      while (users.hasNext()) {
        long[] counts = users.next();
        double sq = 0;
        for (int l = 0; l < v.length; l++) {
          v[l] = counts[l];
          sq += v[l] * v[l];
        }
        if (sq == 0) {
          continue;
        }
        // users mode: every user's vector has norm exactly the bound; records mode: counts as they are, clipped.
        double scale = unitNorm ? grid.clipBeforeRounding() / Math.sqrt(sq)
            : Math.min(1.0, grid.clipBeforeRounding() / Math.sqrt(sq));
        for (int l = 0; l < v.length; l++) {
          v[l] *= scale;
        }
        GridGaussianMechanism.addInto(acc, grid.quantize(v));
      }
      return List.of(acc).iterator();
    }
  }
}
