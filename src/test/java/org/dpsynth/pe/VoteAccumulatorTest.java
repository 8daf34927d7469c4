package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.dpsynth.privacy.GridGaussianMechanism;
import org.junit.jupiter.api.Test;

class VoteAccumulatorTest {
  private static final int DIM = 16;
  private static final double C = 1.0;

  /** A population of 3 labels x 10 samples with random unit embeddings. */
  private static SyntheticIndex population(SplittableRandom rng) {
    int n = 30;
    float[][] e = new float[n][];
    int[] labels = new int[n];
    float[] flat = NearestNeighbourKernelTest.randomUnitRows(rng, n, DIM);
    for (int j = 0; j < n; j++) {
      e[j] = java.util.Arrays.copyOfRange(flat, j * DIM, (j + 1) * DIM);
      labels[j] = j % 3;
    }
    return SyntheticIndex.build(e, labels, 3);
  }

  /** One user's records: label indices and embeddings (shared with the image version of the test). */
  record User(int[] labels, float[][] vectors) {}

  private static User randomUser(SplittableRandom rng, int records) {
    int[] l = new int[records];
    float[][] v = new float[records][];
    float[] flat = NearestNeighbourKernelTest.randomUnitRows(rng, records, DIM);
    for (int i = 0; i < records; i++) {
      l[i] = rng.nextInt(3);
      v[i] = java.util.Arrays.copyOfRange(flat, i * DIM, (i + 1) * DIM);
    }
    return new User(l, v);
  }

  static long[] histogram(SyntheticIndex index, List<User> users, int k, GridGaussianMechanism mech) {
    VoteAccumulator acc = new VoteAccumulator(index, k, NearestNeighbourKernel.Distance.COSINE, mech, 64);
    for (User u : users) {
      acc.addUser(u.labels(), u.vectors());
    }
    return acc.finish();
  }

  static double contributionNorm(long[] with, long[] without, double grid) {
    double s = 0;
    for (int i = 0; i < with.length; i++) {
      double d = (with[i] - without[i]) * grid;
      s += d * d;
    }
    return Math.sqrt(s);
  }

  @Test
  void aUserWithAThousandRecordsOverThreeLabelsMovesTheHistogramByAtMostC() {
    SplittableRandom rng = new SplittableRandom(42);
    SyntheticIndex index = population(rng);
    List<User> others = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      others.add(randomUser(rng, 1 + rng.nextInt(4)));
    }
    User heavy = randomUser(rng, 1000);
    GridGaussianMechanism mech = new GridGaussianMechanism(C, index.size());
    for (int k : new int[] {1, 3}) {
      long[] without = histogram(index, others, k, mech);
      List<User> withHeavy = new ArrayList<>(others);
      withHeavy.add(heavy);
      long[] with = histogram(index, withHeavy, k, mech);
      double norm = contributionNorm(with, without, mech.grid());
      assertTrue(norm <= C, "k=" + k + ": contribution norm " + norm + " exceeds C");
      assertTrue(norm > 0.99 * C, "the heavy user is clipped to (almost exactly) C, got " + norm);

      // Test of the test: the same measurement on a mechanism with a clip 1000x larger shows the
      // heavy user moving the histogram far more than C, so the check above would catch it.
      GridGaussianMechanism loose = new GridGaussianMechanism(1000 * C, index.size());
      long[] looseWithout = histogram(index, others, k, loose);
      long[] looseWith = histogram(index, withHeavy, k, loose);
      assertTrue(contributionNorm(looseWith, looseWithout, loose.grid()) > 10 * C,
          "the check above would catch a mechanism without clipping");
    }
  }

  @Test
  void everyUsersRoundedContributionStaysWithinCEvenAtTheGridEdge() {
    SplittableRandom rng = new SplittableRandom(7);
    SyntheticIndex index = population(rng);
    GridGaussianMechanism mech = new GridGaussianMechanism(C, index.size());
    long[] empty = new long[index.size()];
    for (int trial = 0; trial < 300; trial++) {
      User u = randomUser(rng, 1 + rng.nextInt(40));
      long[] h = histogram(index, List.of(u), 1 + rng.nextInt(4), mech);
      assertTrue(contributionNorm(h, empty, mech.grid()) <= C);
    }
  }

  @Test
  void theSumDoesNotDependOnUserOrderOrChunking() {
    SplittableRandom rng = new SplittableRandom(3);
    SyntheticIndex index = population(rng);
    List<User> users = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      users.add(randomUser(rng, 1 + rng.nextInt(6)));
    }
    GridGaussianMechanism mech = new GridGaussianMechanism(C, index.size());
    long[] a = histogram(index, users, 2, mech);
    List<User> shuffled = new ArrayList<>(users);
    Collections.shuffle(shuffled, new java.util.Random(1));
    VoteAccumulator small = new VoteAccumulator(index, 2, NearestNeighbourKernel.Distance.COSINE, mech, 1);
    VoteAccumulator part2 = new VoteAccumulator(index, 2, NearestNeighbourKernel.Distance.COSINE, mech, 10_000);
    for (int i = 0; i < shuffled.size(); i++) {
      (i % 2 == 0 ? small : part2).addUser(shuffled.get(i).labels(), shuffled.get(i).vectors());
    }
    long[] b = VoteAccumulator.add(small.finish(), part2.finish());
    assertArrayEquals(a, b);
  }

  @Test
  void aSingleRecordWithKOneCastsOneFullVoteForItsNearestSampleOfItsLabel() {
    SplittableRandom rng = new SplittableRandom(11);
    SyntheticIndex index = population(rng);
    GridGaussianMechanism mech = new GridGaussianMechanism(C, index.size());
    // The record is exactly sample 4 (label 1): it must vote for sample 4.
    float[] v = java.util.Arrays.copyOfRange(index.matrix(1), DIM, 2 * DIM);
    assertEquals(4, index.id(1, 1));
    long[] h = histogram(index, List.of(new User(new int[] {1}, new float[][] {v})), 1, mech);
    for (int j = 0; j < h.length; j++) {
      assertEquals(j == 4 ? Math.round(mech.clipBeforeRounding() / mech.grid()) : 0, h[j], "sample " + j);
    }
  }
}
