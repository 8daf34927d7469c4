package org.dpsynth.pe;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.dpsynth.privacy.GridGaussianMechanism;

/**
 * The per-user label-count vector for DP label proportions: each user's count of (bounded) records
 * per label, clipped to L2 norm {@code clipBeforeRounding}, rounded to the grid, and summed on
 * executors. The driver adds noise to the sum.
 */
final class LabelCountJob {
  private LabelCountJob() {}

  static long[] sum(Dataset<Row> perUser, GridGaussianMechanism grid) {
    return perUser.javaRDD()
        .mapPartitions(new Partition(grid))
        .treeReduce(VoteAccumulator::add, 2);
  }

  private static final class Partition implements FlatMapFunction<Iterator<Row>, long[]> {
    private final GridGaussianMechanism grid;

    Partition(GridGaussianMechanism grid) {
      this.grid = grid;
    }

    @Override
    public Iterator<long[]> call(Iterator<Row> users) {
      int numLabels = grid.dimension();
      long[] sum = new long[numLabels];
      long[] counts = new long[numLabels];
      while (users.hasNext()) {
        java.util.Arrays.fill(counts, 0);
        for (Row r : users.next().<Row>getList(1)) {
          counts[r.getInt(1)]++;
        }
        long sq = 0;
        for (long c : counts) {
          sq += c * c;
        }
        double scale = Math.min(1.0, grid.clipBeforeRounding() / Math.sqrt(sq));
        double[] clipped = new double[numLabels];
        for (int l = 0; l < numLabels; l++) {
          clipped[l] = counts[l] * scale;
        }
        VoteAccumulator.add(sum, grid.quantize(clipped));
      }
      return List.of(sum).iterator();
    }
  }
}
