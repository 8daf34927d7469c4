package org.dpsynth.pe;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.dpsynth.privacy.GridGaussianMechanism;

/**
 * One PE vote: every user's records vote for their nearest synthetic samples, each user's vector
 * is clipped and rounded to the grid on the executor, and the sum over users is formed with a tree
 * aggregate. The driver receives only the sum (it never holds a record or a per-user vector).
 */
final class VoteJob {
  private VoteJob() {}

  /** The exact sum over users of clipped, rounded vote vectors, in grid units. */
  static long[] histogram(Dataset<Row> perUser, SyntheticIndex index, int k, NearestNeighbourKernel.Distance distance,
      GridGaussianMechanism grid) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(perUser.sparkSession().sparkContext());
    Broadcast<SyntheticIndex> b = jsc.broadcast(index);
    try {
      org.apache.spark.api.java.JavaRDD<Row> users = perUser.javaRDD();
      if (users.getNumPartitions() == 0) {
        // No partitions at all (every other case yields one partial sum per partition).
        return new long[index.size()];
      }
      return users.mapPartitions(new VotePartition(b, k, distance, grid)).treeReduce(VoteAccumulator::add, 2);
    } finally {
      b.destroy();
    }
  }

  /** Votes of one partition of per-user rows: (user, records: array of (score, label, vec)). */
  private static final class VotePartition implements FlatMapFunction<Iterator<Row>, long[]> {
    private final Broadcast<SyntheticIndex> index;
    private final int k;
    private final NearestNeighbourKernel.Distance distance;
    private final GridGaussianMechanism grid;

    VotePartition(Broadcast<SyntheticIndex> index, int k, NearestNeighbourKernel.Distance distance,
        GridGaussianMechanism grid) {
      this.index = index;
      this.k = k;
      this.distance = distance;
      this.grid = grid;
    }

    @Override
    public Iterator<long[]> call(Iterator<Row> users) {
      FaultHooks.beforeVoteTask();
      VoteAccumulator acc = new VoteAccumulator(index.value(), k, distance, grid, 2048);
      while (users.hasNext()) {
        UserRecords u = UserRecords.of(users.next());
        acc.addUser(u.labels(), u.vectors());
      }
      return List.of(acc.finish()).iterator();
    }
  }

  /** One per-user row as the kernel wants it: labels and float vectors, records in seeded-hash order. */
  record UserRecords(int[] labels, float[][] vectors) {
    static UserRecords of(Row u) {
      List<Row> records = new ArrayList<>(u.<Row>getList(1));
      // A user's records in seeded-hash order: the same on every partitioning.
      records.sort((a, b) -> Long.compare(a.getLong(0), b.getLong(0)));
      int[] labels = new int[records.size()];
      float[][] vectors = new float[records.size()][];
      for (int i = 0; i < records.size(); i++) {
        Row r = records.get(i);
        labels[i] = r.getInt(1);
        List<Float> v = r.getList(2);
        float[] f = new float[v.size()];
        for (int j = 0; j < f.length; j++) {
          f[j] = v.get(j);
        }
        vectors[i] = f;
      }
      return new UserRecords(labels, vectors);
    }
  }
}
