package org.dpsynth.run;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.data.ContributionBounds;
import org.dpsynth.data.CorpusReader;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

class LabelSharesTest {

  private static JobConfig.Labels labels(String... sets) {
    List<String> o = new ArrayList<>(List.of("labels.names=[a, b, c]", "input.max_records_per_user=8"));
    o.addAll(List.of(sets));
    return ConfigLoader.load(null, o).labels();
  }

  @Test
  void recordSharesCountRecordsAndUserSharesCountUsers() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    // One heavy user with 8 records of label a; six light users with one record of b each.
    List<long[]> users = new ArrayList<>();
    users.add(new long[] {8, 0, 0});
    for (int i = 0; i < 6; i++) {
      users.add(new long[] {0, 1, 0});
    }
    GridGaussianMechanism records = new GridGaussianMechanism(LabelShares.bound(labels(), 8), 3);
    double[] r = sum(records, LabelShares.clippedSum(jsc.parallelize(users, 3), records, false));
    assertArrayEquals(new double[] {8, 6, 0}, r, 1e-3, "record counts: " + Arrays.toString(r));
    GridGaussianMechanism perUser = new GridGaussianMechanism(LabelShares.bound(labels("labels.shares=users"), 8), 3);
    double[] u = sum(perUser, LabelShares.clippedSum(jsc.parallelize(users, 3), perUser, true));
    assertArrayEquals(new double[] {1, 6, 0}, u, 1e-3, "user counts: " + Arrays.toString(u));
  }

  /**
   * The charged sensitivity holds: a user with records over several labels moves the exact sum by
   * at most the bound B, in L2, whatever their counts (and by close to B for a heavy user).
   */
  @Test
  void aHeavyUserOverSeveralLabelsMovesTheSumByAtMostTheBound() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    List<long[]> base = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      base.add(new long[] {i % 3, 1, (i * 7) % 5});
    }
    for (String[] sets : new String[][] {{}, {"labels.clip=3"}, {"labels.shares=users"}}) {
      JobConfig.Labels cfg = labels(sets);
      double b = LabelShares.bound(cfg, 8);
      GridGaussianMechanism grid = new GridGaussianMechanism(b, 3);
      for (long[] heavy : new long[][] {{1000, 1000, 1000}, {5, 2, 1}, {0, 0, 1}}) {
        List<long[]> withHeavy = new ArrayList<>(base);
        withHeavy.add(heavy);
        double[] d = sum(grid, LabelShares.clippedSum(jsc.parallelize(base, 2), grid, cfg.users()));
        double[] dPrime = sum(grid, LabelShares.clippedSum(jsc.parallelize(withHeavy, 2), grid, cfg.users()));
        double moved = 0;
        for (int l = 0; l < 3; l++) {
          moved += (dPrime[l] - d[l]) * (dPrime[l] - d[l]);
        }
        moved = Math.sqrt(moved);
        assertTrue(moved <= b * (1 + 1e-12), Arrays.toString(sets) + " " + Arrays.toString(heavy) + ": moved " + moved + " > B = " + b);
        if (heavy[0] == 1000) {
          assertTrue(moved >= 0.99 * b, "the bound, not the data, limits a heavy user: " + moved);
        }
      }
    }
    // Default bound is the record cap; labels.clip overrides it; users mode is 1.
    assertEquals(8.0, LabelShares.bound(labels(), 8));
    assertEquals(3.0, LabelShares.bound(labels("labels.clip=3"), 8));
    assertEquals(1.0, LabelShares.bound(labels("labels.shares=users"), 8));
  }

  /**
   * The noisy counts, as released, under the same noise draw on neighbouring data sets: a heavy user
   * over several labels moves them by at most the sensitivity the release is charged with, and the
   * charged noise stddev is z times that sensitivity.
   */
  @Test
  void aHeavyUserMovesTheNoisyCountsByAtMostTheChargedSensitivity() {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(SparkTestSession.get().sparkContext());
    List<long[]> base = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      base.add(new long[] {i % 2, (i * 5) % 3, i % 4 == 0 ? 8 : 0});
    }
    double z = 1.7;
    for (String[] sets : new String[][] {{}, {"labels.clip=1"}, {"labels.clip=5"}, {"labels.shares=users"}}) {
      JobConfig.Labels cfg = labels(sets);
      PrivateRun.Charge charge = LabelShares.charge(cfg, 8, z);
      double b = charge.sensitivity();
      assertEquals(z * b, charge.noiseStddev(), 1e-12, "noise stddev = z x charged sensitivity");
      assertEquals(LabelShares.bound(cfg, 8), b, "the clip is the charged sensitivity");
      GridGaussianMechanism grid = new GridGaussianMechanism(b, 3);
      assertEquals(b, grid.clip(), "the release clips to the charged sensitivity");
      // Heavy users at the record cap, spread over the labels (the bounded input has <= 8 records per user).
      for (long[] heavy : new long[][] {{3, 3, 2}, {4, 4, 0}, {8, 0, 0}, {1, 6, 1}}) {
        List<long[]> withHeavy = new ArrayList<>(base);
        withHeavy.add(heavy);
        for (long seed = 1; seed <= 3; seed++) {
          double[] noisy = grid.release(LabelShares.clippedSum(jsc.parallelize(base, 2), grid, cfg.users()),
              charge.noiseStddev(), new org.dpsynth.privacy.SeededNoise(seed));
          double[] noisyPrime = grid.release(LabelShares.clippedSum(jsc.parallelize(withHeavy, 3), grid, cfg.users()),
              charge.noiseStddev(), new org.dpsynth.privacy.SeededNoise(seed));
          double moved = 0;
          for (int l = 0; l < 3; l++) {
            moved += (noisyPrime[l] - noisy[l]) * (noisyPrime[l] - noisy[l]);
          }
          moved = Math.sqrt(moved);
          assertTrue(moved <= b * (1 + 1e-12), Arrays.toString(sets) + " " + Arrays.toString(heavy) + ": moved " + moved + " > charged " + b);
          assertTrue(moved > 0, "the heavy user is counted");
        }
      }
    }
  }

  /**
   * With a label cap L different from the votes' cap, from raw records to the released counts: a
   * heavy user with 40 records over three labels moves the noisy counts (same noise draw) by at
   * most the charged sensitivity L, and by more than the votes' cap (their records beyond the
   * votes' 8 are counted); the charged stddev is z·L and the grid clips to L.
   */
  @Test
  void withItsOwnRecordCapAHeavyUserMovesTheNoisyCountsByAtMostTheChargedBound() {
    SparkSession spark = SparkTestSession.get();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    List<String> names = List.of("a", "b", "c");
    List<Row> base = new ArrayList<>();
    for (int u = 0; u < 25; u++) {
      for (int r = 0; r <= u % 4; r++) {
        base.add(RowFactory.create("u" + u, "text " + u + " " + r, names.get((u + r) % 3)));
      }
    }
    List<Row> heavy = new ArrayList<>();
    for (int r = 0; r < 40; r++) {
      heavy.add(RowFactory.create("heavy", "heavy " + r, names.get(r < 24 ? 0 : r < 32 ? 1 : 2)));
    }
    StructType schema = new StructType()
        .add(CorpusReader.USER, DataTypes.StringType)
        .add(CorpusReader.TEXT, DataTypes.StringType)
        .add(CorpusReader.LABEL, DataTypes.StringType);
    double z = 2.5;
    for (String[] sets : new String[][] {{"labels.max_records_per_user=16"}, {"labels.max_records_per_user=3"},
        {"labels.max_records_per_user=16", "labels.clip=10"}, {"labels.max_records_per_user=auto", "privacy.min_users=500"}}) {
      JobConfig.Labels cfg = labels(sets);
      int cap = LabelShares.recordCap(cfg, 8, z, cfg.autoRecordCap() ? 500 : 1000);
      assertTrue(cap != 8, "a label cap other than the votes' cap: " + cap);
      PrivateRun.Charge charge = LabelShares.charge(cfg, cap, z);
      double b = charge.sensitivity();
      assertEquals(LabelShares.bound(cfg, cap), b);
      assertEquals(cfg.clip() > 0 ? cfg.clip() : cap, b, "the bound follows the label cap unless labels.clip is set");
      assertEquals(z * b, charge.noiseStddev(), 1e-12);
      GridGaussianMechanism grid = new GridGaussianMechanism(b, 3);
      List<Row> withHeavy = new ArrayList<>(base);
      withHeavy.addAll(heavy);
      long[] d = LabelShares.clippedSum(counts(spark, base, schema, names, cap), grid, false);
      long[] dPrime = LabelShares.clippedSum(counts(spark, withHeavy, schema, names, cap), grid, false);
      for (long seed = 1; seed <= 3; seed++) {
        double[] noisy = grid.release(d, charge.noiseStddev(), new org.dpsynth.privacy.SeededNoise(seed));
        double[] noisyPrime = grid.release(dPrime, charge.noiseStddev(), new org.dpsynth.privacy.SeededNoise(seed));
        double moved = 0;
        for (int l = 0; l < 3; l++) {
          moved += (noisyPrime[l] - noisy[l]) * (noisyPrime[l] - noisy[l]);
        }
        moved = Math.sqrt(moved);
        assertTrue(moved <= b * (1 + 1e-12), Arrays.toString(sets) + ": moved " + moved + " > charged " + b);
        // The heavy user's capped vector has norm >= cap/sqrt(3); above the votes' cap for caps >= 16.
        assertTrue(moved >= Math.min(b, cap / Math.sqrt(3)) - 1e-9, Arrays.toString(sets) + ": the heavy user counts: " + moved);
        if (cap >= 16) {
          assertTrue(moved > 8, "more than the votes' cap of 8 records counted: " + moved);
        }
      }
      // The exact per-user counts honour the label cap (and not the votes' cap).
      long heavyTotal = counts(spark, heavy, schema, names, cap).collect().stream().mapToLong(v -> Arrays.stream(v).sum()).sum();
      assertEquals(Math.min(40, cap), heavyTotal, "records of the heavy user counted at cap " + cap);
    }
  }

  private static org.apache.spark.api.java.JavaRDD<long[]> counts(SparkSession spark, List<Row> rows, StructType schema,
      List<String> names, int cap) {
    return ContributionBounds.labelCounts(ContributionBounds.apply(spark.createDataFrame(rows, schema), names, cap, 7L), names.size());
  }

  @Test
  void theLabelRecordCapDefaultsToTheVotesCapAndAutoUsesOnlyPublicQuantities() {
    assertEquals(8, LabelShares.recordCap(labels(), 8, 2.9, 1000), "default: input.max_records_per_user");
    assertEquals(8, LabelShares.bound(labels(), LabelShares.recordCap(labels(), 8, 2.9, 1000)), "so is the default bound");
    assertEquals(5, LabelShares.recordCap(labels(), 5, 2.9, 1000));
    assertEquals(16, LabelShares.recordCap(labels("labels.max_records_per_user=16"), 8, 2.9, 1000));
    assertEquals(16, LabelShares.recordCap(labels("labels.max_records_per_user='16'"), 8, 2.9, 1000));
    JobConfig.Labels auto = labels("labels.max_records_per_user=auto");
    // floor(0.05 x 1000 / 2.9235) = floor(17.10) = 17; 0.05 x 1000 / 5 = 10 exactly; never below 1.
    assertEquals(17, LabelShares.recordCap(auto, 8, 2.9235, 1000));
    assertEquals(10, LabelShares.recordCap(auto, 8, 5.0, 1000));
    assertEquals(1, LabelShares.recordCap(auto, 8, 100.0, 1000));
    assertEquals(34, LabelShares.recordCap(auto, 8, 2.9235, 2000), "grows with the public user bound");
    assertEquals(17, LabelShares.recordCap(labels("labels.max_records_per_user=AUTO"), 8, 2.9235, 1000));
    // The auto cap's noise stddev z x L is at most 5% of min_users, and L + 1 would exceed it.
    for (double z : new double[] {0.7, 1.3, 2.9235, 4.1, 11.0}) {
      int l = LabelShares.autoRecordCap(z, 1000);
      assertTrue(l == 1 || z * l <= 0.05 * 1000 + 1e-9, z + " -> " + l);
      assertTrue(z * (l + 1) > 0.05 * 1000, z + " -> " + l + " is the largest");
    }
  }

  private static double[] sum(GridGaussianMechanism grid, long[] units) {
    double[] out = new double[units.length];
    for (int i = 0; i < out.length; i++) {
      out[i] = units[i] * grid.grid();
    }
    return out;
  }

  @Test
  void allocationSumsToTheTotalAndGivesEveryLabelASample() {
    assertArrayEquals(new int[] {50, 30, 20}, LabelShares.allocate(new double[] {5, 3, 2}, 100));
    int[] a = LabelShares.allocate(new double[] {1000, 0, 0.0001}, 10);
    assertEquals(10, Arrays.stream(a).sum());
    assertTrue(Arrays.stream(a).allMatch(x -> x >= 1));
    assertArrayEquals(new int[] {1, 1, 1}, LabelShares.allocate(new double[] {0, 0, 0}, 2), "at least one each");
  }
}
