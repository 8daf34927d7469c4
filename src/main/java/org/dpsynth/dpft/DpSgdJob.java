package org.dpsynth.dpft;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.struct;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;
import org.dpsynth.data.ContributionBounds;
import org.dpsynth.data.CorpusReader;
import org.dpsynth.privacy.GridGaussianMechanism;

/**
 * The Spark side of DP fine-tuning: the private corpus grouped by user (after contribution
 * bounding) and tokenised on executors, and per step a tree aggregate of the sampled users'
 * clipped, quantised gradients ({@link DpSgdStep}) computed against broadcast weights. Only
 * integer sums on the grid leave the executors; the driver adds the noise.
 */
public final class DpSgdJob {
  private DpSgdJob() {}

  /**
   * Bounded records (columns of {@link ContributionBounds#apply}) grouped into one {@link
   * UserExamples} per user, records ordered by their seeded score, cached.
   */
  public static JavaRDD<UserExamples> userExamples(
      SparkSession spark, Dataset<Row> bounded, Vocabulary vocab, int maxTokens, int partitions) {
    Dataset<Row> grouped = bounded
        .groupBy(col(CorpusReader.USER))
        .agg(collect_list(struct(col(ContributionBounds.SCORE), col(CorpusReader.TEXT), col(ContributionBounds.LABEL_INDEX))).as("records"));
    Broadcast<Vocabulary> vb = JavaSparkContext.fromSparkContext(spark.sparkContext()).broadcast(vocab);
    return grouped.javaRDD()
        .map(new ToExamples(vb, maxTokens))
        .repartition(partitions)
        .persist(StorageLevel.MEMORY_AND_DISK());
  }

  /**
   * Everything a step's executors need; the parameters are a copy taken before the update. A plain
   * class (Kryo cannot build records); the shape travels as its five integers.
   */
  static final class StepTask implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int[] dims;
    private final double[] params;
    private final PoissonSampling sampling;
    private final double q;
    private final int examplesPerUser;
    private final GridGaussianMechanism mech;

    StepTask(FeedForwardLm.Shape s, double[] params, PoissonSampling sampling, double q, int examplesPerUser, GridGaussianMechanism mech) {
      this.dims = new int[] {s.vocab(), s.context(), s.embed(), s.hidden(), s.codes()};
      this.params = params;
      this.sampling = sampling;
      this.q = q;
      this.examplesPerUser = examplesPerUser;
      this.mech = mech;
    }

    FeedForwardLm model() {
      return new FeedForwardLm(new FeedForwardLm.Shape(dims[0], dims[1], dims[2], dims[3], dims[4]), params);
    }
  }

  /** Σ over Poisson-sampled users of their clipped, quantised gradients (grid units). */
  public static long[] gradientSum(
      JavaRDD<UserExamples> users, FeedForwardLm.Shape shape, double[] params, PoissonSampling sampling, double q,
      int examplesPerUser, GridGaussianMechanism mech) {
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(users.context());
    Broadcast<StepTask> task = jsc.broadcast(new StepTask(shape, params.clone(), sampling, q, examplesPerUser, mech));
    try {
      return users.mapPartitions(new StepPartition(task)).treeReduce(GridGaussianMechanism::addInto, 2);
    } finally {
      task.destroy();
    }
  }

  /** One vector per user: {1}, for the DP user count. */
  public static JavaRDD<long[]> ones(JavaRDD<UserExamples> users) {
    return users.map(new Ones());
  }

  /** One vector per user: the user's (bounded) record count per label. */
  public static JavaRDD<long[]> labelCounts(JavaRDD<UserExamples> users, int numLabels) {
    return users.map(new LabelCounts(numLabels));
  }

  private static final class Ones implements Function<UserExamples, long[]> {
    @Override
    public long[] call(UserExamples u) {
      return new long[] {1};
    }
  }

  private static final class LabelCounts implements Function<UserExamples, long[]> {
    private final int numLabels;

    LabelCounts(int numLabels) {
      this.numLabels = numLabels;
    }

    @Override
    public long[] call(UserExamples u) {
      long[] counts = new long[numLabels];
      for (int c : u.codes()) {
        counts[c - 1]++; // code 0 is "no label"
      }
      return counts;
    }
  }

  private static final class ToExamples implements Function<Row, UserExamples> {
    private final Broadcast<Vocabulary> vocab;
    private final int maxTokens;

    ToExamples(Broadcast<Vocabulary> vocab, int maxTokens) {
      this.vocab = vocab;
      this.maxTokens = maxTokens;
    }

    @Override
    public UserExamples call(Row r) {
      List<Row> records = new ArrayList<>(r.<Row>getList(1));
      // Order by the seeded score (then text) so record indices do not depend on shuffle order.
      records.sort(Comparator.<Row>comparingLong(x -> x.getLong(0)).thenComparing(x -> x.getString(1)));
      Vocabulary v = vocab.value();
      int[][] tokens = new int[records.size()][];
      int[] codes = new int[records.size()];
      for (int i = 0; i < tokens.length; i++) {
        tokens[i] = v.encode(records.get(i).getString(1), maxTokens);
        codes[i] = records.get(i).getInt(2) + 1; // code 0 is "no label"
      }
      return new UserExamples(r.getString(0), tokens, codes);
    }
  }

  private static final class StepPartition implements FlatMapFunction<Iterator<UserExamples>, long[]> {
    private final Broadcast<StepTask> task;

    StepPartition(Broadcast<StepTask> task) {
      this.task = task;
    }

    @Override
    public Iterator<long[]> call(Iterator<UserExamples> users) {
      StepTask t = task.value();
      Iterable<UserExamples> it = () -> users;
      return List.of(DpSgdStep.sum(t.model(), it, t.sampling, t.q, t.examplesPerUser, t.mech)).iterator();
    }
  }
}
