package org.dpsynth.pe;

import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The per-user label-count vector for DP label proportions: each user's count of (bounded) records
 * per label, clipped to L2 norm {@code clipBeforeRounding}, rounded to the grid, and summed on
 * executors. The driver adds noise to the sum.
 */
final class LabelCountJob {
  private LabelCountJob() {}

  static long[] sum(Dataset<Row> perUser, int numLabels, double clipBeforeRounding, double grid) {
    return perUser.javaRDD()
        .mapPartitions(new Partition(numLabels, clipBeforeRounding, grid))
        .treeReduce(VoteAccumulator::add, 2);
  }

  private static final class Partition implements FlatMapFunction<Iterator<Row>, long[]> {
    private final int numLabels;
    private final double clipBeforeRounding;
    private final double grid;

    Partition(int numLabels, double clipBeforeRounding, double grid) {
      this.numLabels = numLabels;
      this.clipBeforeRounding = clipBeforeRounding;
      this.grid = grid;
    }

    @Override
    public Iterator<long[]> call(Iterator<Row> users) {
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
        double scale = Math.min(1.0, clipBeforeRounding / Math.sqrt(sq));
        for (int l = 0; l < numLabels; l++) {
          if (counts[l] > 0) {
            sum[l] = Math.addExact(sum[l], Math.round(counts[l] * scale / grid));
          }
        }
      }
      return List.of(sum).iterator();
    }
  }
}
