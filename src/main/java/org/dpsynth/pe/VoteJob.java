package org.dpsynth.pe;

import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.dpsynth.privacy.GridGaussianMechanism;

/**
 * One PE vote: every user's records vote for their nearest synthetic samples, each user's vector
 * is clipped and rounded to the grid on the executor, and the sum over users is formed with a tree
 * aggregate. The driver receives only the sum (it never holds a record or a per-user vector).
 */
public final class VoteJob {
  private VoteJob() {}

  /** The exact sum over users of clipped, rounded vote vectors, in grid units. */
  public static long[] histogram(Dataset<Row> perUser, SyntheticIndex index, int k, NearestNeighbourKernel.Distance distance,
      GridGaussianMechanism grid) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(perUser.sparkSession().sparkContext());
    Broadcast<SyntheticIndex> b = jsc.broadcast(index);
    try {
      JavaRDD<InternalRow> users = internalRows(perUser);
      if (users.getNumPartitions() == 0) {
        // No partitions at all (every other case yields one partial sum per partition).
        return new long[index.size()];
      }
      return users.mapPartitions(new VotePartition(b, k, distance, grid)).treeReduce(VoteAccumulator::add, 2);
    } finally {
      b.destroy();
    }
  }

  /**
   * The per-user rows in Spark's internal binary form: vectors are then read as primitive float
   * arrays ({@link ArrayData#toFloatArray()}) instead of being deserialised into external rows of
   * boxed {@code Float}s, which cost more than the nearest-neighbour kernel itself.
   */
  public static JavaRDD<InternalRow> internalRows(Dataset<Row> perUser) {
    // UserRecords reads by position; the binary form would read a double vector as garbage floats.
    org.apache.spark.sql.types.StructField[] f = perUser.schema().fields();
    boolean ok = f.length == 2
        && f[1].dataType() instanceof org.apache.spark.sql.types.ArrayType records
        && records.elementType() instanceof org.apache.spark.sql.types.StructType record
        && record.fields().length == 3
        && record.fields()[0].dataType() instanceof org.apache.spark.sql.types.LongType
        && record.fields()[1].dataType() instanceof org.apache.spark.sql.types.IntegerType
        && record.fields()[2].dataType() instanceof org.apache.spark.sql.types.ArrayType vec
        && vec.elementType() instanceof org.apache.spark.sql.types.FloatType;
    if (!ok) {
      throw new IllegalStateException("per-user embeddings have schema " + perUser.schema().simpleString()
          + "; expected struct<user, records: array<struct<score: bigint, label: int, vec: array<float>>>>");
    }
    return perUser.queryExecution().toRdd().toJavaRDD();
  }

  /** Votes of one partition of per-user rows: (user, records: array of (score, label, vec)). */
  private static final class VotePartition implements FlatMapFunction<Iterator<InternalRow>, long[]> {
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
    public Iterator<long[]> call(Iterator<InternalRow> users) {
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
  public record UserRecords(int[] labels, float[][] vectors) {
    /**
     * Reads (user, records: array of (score, label, vec)); copies everything out, so the row may be
     * a buffer Spark reuses for the next one.
     */
    public static UserRecords of(InternalRow u) {
      ArrayData records = u.getArray(1);
      int n = records.numElements();
      long[] scores = new long[n];
      int[] labels = new int[n];
      float[][] vectors = new float[n][];
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        InternalRow r = records.getStruct(i, 3);
        scores[i] = r.getLong(0);
        labels[i] = r.getInt(1);
        vectors[i] = r.getArray(2).toFloatArray();
        order[i] = i;
      }
      // A user's records in seeded-hash order: the same on every partitioning.
      Arrays.sort(order, (a, b) -> Long.compare(scores[a], scores[b]));
      int[] sortedLabels = new int[n];
      float[][] sortedVectors = new float[n][];
      for (int i = 0; i < n; i++) {
        sortedLabels[i] = labels[order[i]];
        sortedVectors[i] = vectors[order[i]];
      }
      return new UserRecords(sortedLabels, sortedVectors);
    }
  }
}
