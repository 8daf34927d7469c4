package org.dpsynth.pe;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;
import org.dpsynth.cluster.ProgressListener;
import org.dpsynth.config.JobConfig;
import org.dpsynth.data.ContributionBounds;
import org.dpsynth.data.CorpusReader;
import org.dpsynth.foundation.Embedder;
import org.dpsynth.foundation.Models;

/**
 * Embeds the bounded private records once per run on executors (batched, one model per executor
 * JVM) and stores them grouped per user as Parquet in the run's {@code private/} area:
 * one row per user with the user's records as (score, label, vector), reused by every iteration
 * and on resume. Private data: never written under {@code public/}.
 */
final class PrivateEmbeddings {
  static final String RECORDS = "records";
  static final StructType RECORD_SCHEMA = new StructType()
      .add(CorpusReader.USER, DataTypes.StringType, false)
      .add(ContributionBounds.SCORE, DataTypes.LongType, false)
      .add(ContributionBounds.LABEL_INDEX, DataTypes.IntegerType, false)
      .add("vec", DataTypes.createArrayType(DataTypes.FloatType, false), false);

  /** Embedding partitions per task slot: several, so that slots finish together. */
  static final int PARTITIONS_PER_SLOT = 4;

  private PrivateEmbeddings() {}

  /** Embeds {@code bounded} and writes per-user rows to {@code dir}; returns texts truncated. */
  static long computeAndStore(SparkSession spark, Dataset<Row> bounded, JobConfig.Embedder cfg, String cacheDir, String dir) {
    // Unnamed: a named accumulator shows its exact (private) count in the Spark UI and event log.
    LongAccumulator truncated = new LongAccumulator();
    spark.sparkContext().register(truncated);
    // Bounding ends in a per-user window whose shuffle adaptive execution coalesces by bytes: a
    // corpus of a few MB became one partition, so one task (one core) embedded all of it. Spread
    // the texts over a public multiple of the task slots instead (never a function of the count).
    int partitions = Math.max(1, spark.sparkContext().defaultParallelism() * PARTITIONS_PER_SLOT);
    Dataset<Row> embedded = bounded
        .select(col(CorpusReader.USER), col(ContributionBounds.SCORE), col(ContributionBounds.LABEL_INDEX), col(CorpusReader.TEXT))
        .repartition(partitions)
        .mapPartitions(new EmbedRecords(cfg, cacheDir, truncated), Encoders.row(RECORD_SCHEMA));
    Dataset<Row> perUser = embedded.groupBy(col(CorpusReader.USER))
        .agg(functions.collect_list(functions.struct(col(ContributionBounds.SCORE), col(ContributionBounds.LABEL_INDEX), col("vec"))).as(RECORDS));
    // Partitions only: the console never sees a count of private records.
    try (ProgressListener.Phase p = ProgressListener.phase(spark.sparkContext(), "embedding the private corpus", 0, null, 0)) {
      perUser.write().mode(SaveMode.Overwrite).parquet(dir);
    }
    return truncated.value();
  }

  static Dataset<Row> load(SparkSession spark, String dir) {
    return spark.read().parquet(dir);
  }

  /** Each user's count of (bounded) records per label, from the per-user rows; never collected. */
  static org.apache.spark.api.java.JavaRDD<long[]> labelCounts(Dataset<Row> perUser, int numLabels) {
    return perUser.javaRDD().map(new LabelCounts(numLabels));
  }

  private static final class LabelCounts implements org.apache.spark.api.java.function.Function<Row, long[]> {
    private final int numLabels;

    LabelCounts(int numLabels) {
      this.numLabels = numLabels;
    }

    @Override
    public long[] call(Row user) {
      long[] counts = new long[numLabels];
      for (Row r : user.<Row>getList(1)) {
        counts[r.getInt(1)]++;
      }
      return counts;
    }
  }

  /** Embeds a partition of (user, score, label, text) rows in batches. */
  private static final class EmbedRecords implements MapPartitionsFunction<Row, Row> {
    private final JobConfig.Embedder cfg;
    private final String cacheDir;
    private final LongAccumulator truncated;

    EmbedRecords(JobConfig.Embedder cfg, String cacheDir, LongAccumulator truncated) {
      this.cfg = cfg;
      this.cacheDir = cacheDir;
      this.truncated = truncated;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
      Embedder embedder = Models.embedder(cfg, cacheDir);
      int window = Embedder.PARTITION_WINDOW; // sorted by length inside embed(), order restored
      return new Iterator<>() {
        private final List<Row> pending = new ArrayList<>();
        private Iterator<Row> ready = java.util.Collections.emptyIterator();

        @Override
        public boolean hasNext() {
          if (ready.hasNext()) {
            return true;
          }
          if (!rows.hasNext()) {
            return false;
          }
          pending.clear();
          while (rows.hasNext() && pending.size() < window) {
            pending.add(rows.next());
          }
          List<String> texts = new ArrayList<>(pending.size());
          for (Row r : pending) {
            texts.add(r.getString(3));
          }
          Embedder.Embeddings e = embedder.embed(texts);
          truncated.add(e.truncated());
          List<Row> out = new ArrayList<>(pending.size());
          for (int i = 0; i < pending.size(); i++) {
            Row r = pending.get(i);
            float[] v = e.vectors()[i];
            Float[] boxed = new Float[v.length];
            for (int j = 0; j < v.length; j++) {
              boxed[j] = v[j];
            }
            out.add(RowFactory.create(r.getString(0), r.getLong(1), r.getInt(2), boxed));
          }
          ready = out.iterator();
          return true;
        }

        @Override
        public Row next() {
          if (!hasNext()) {
            throw new java.util.NoSuchElementException();
          }
          return ready.next();
        }
      };
    }
  }
}
