package org.dpsynth.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;

/**
 * Per-user contribution bounding (as in PipelineDP): records without a user id or text, and
 * records whose label is not in the public label set, are skipped; of each user's remaining
 * records at most {@code maxRecordsPerUser} are kept, chosen by a seeded hash of the record's
 * content (a random score and {@code row_number()} over a window), never by input order.
 *
 * <p>Output columns: {@code user} (string), {@code text}, {@code label} (index into the label
 * list), {@code score} (the seeded hash, which also orders a user's records downstream).
 */
public final class ContributionBounds {
  public static final String LABEL_INDEX = "label";
  public static final String SCORE = "score";

  private ContributionBounds() {}

  /** Keeps valid records and at most {@code maxRecordsPerUser} per user. */
  public static Dataset<Row> apply(Dataset<Row> corpus, List<String> labels, int maxRecordsPerUser, long seed) {
    Column labelIndex = labelIndex(labels);
    Dataset<Row> valid = corpus
        .filter(isValid(labels))
        .select(col(CorpusReader.USER), col(CorpusReader.TEXT), labelIndex.as(LABEL_INDEX));
    Column score = functions.xxhash64(lit(seed), col(CorpusReader.USER), col(CorpusReader.TEXT), col(LABEL_INDEX));
    // Ties (exact duplicates) are interchangeable, so the kept set is the same whatever the input order.
    return valid.withColumn(SCORE, score)
        .withColumn("_rank", functions.row_number().over(Window.partitionBy(col(CorpusReader.USER))
            .orderBy(col(SCORE), col(CorpusReader.TEXT), col(LABEL_INDEX))))
        .filter(col("_rank").leq(maxRecordsPerUser))
        .drop("_rank");
  }

  /**
   * Each user's record count per label in {@code bounded} (the output of {@link #apply}), one
   * vector per user: the input of the DP label release when its record cap differs from the votes'.
   */
  public static JavaRDD<long[]> labelCounts(Dataset<Row> bounded, int numLabels) {
    return bounded.groupBy(col(CorpusReader.USER))
        .agg(functions.collect_list(col(LABEL_INDEX)).as("labels"))
        .javaRDD()
        .map(new CountLabels(numLabels));
  }

  private static final class CountLabels implements Function<Row, long[]> {
    private final int numLabels;

    CountLabels(int numLabels) {
      this.numLabels = numLabels;
    }

    @Override
    public long[] call(Row user) {
      long[] counts = new long[numLabels];
      for (Object l : user.getList(1)) {
        counts[((Number) l).intValue()]++;
      }
      return counts;
    }
  }

  /**
   * Exact counts of what reading and bounding did (private: they are exact counts over the private
   * corpus and go only to the run's private diagnostics).
   */
  public static Map<String, Long> diagnostics(Dataset<Row> corpus, Dataset<Row> bounded, List<String> labels) {
    Column user = col(CorpusReader.USER);
    Column text = col(CorpusReader.TEXT);
    Column label = col(CorpusReader.LABEL);
    Row r = corpus.agg(
        functions.count(lit(1)),
        sum(when(user.isNull(), 1).otherwise(0)),
        sum(when(user.isNotNull()
            .and(text.isNull().or(functions.trim(text).equalTo(""))), 1).otherwise(0)),
        sum(when(user.isNotNull()
            .and(text.isNotNull().and(functions.trim(text).notEqual("")))
            .and(label.isNull().or(functions.not(label.isin(labels.toArray())))), 1).otherwise(0)))
        .first();
    Row b = bounded.agg(functions.count(lit(1)), functions.countDistinct(user)).first();
    Map<String, Long> out = new LinkedHashMap<>();
    out.put("records_read", r.getLong(0));
    out.put("skipped_missing_user", nz(r, 1));
    if (java.util.Arrays.asList(corpus.columns()).contains(CorpusReader.BAD_IMAGE)) {
      // Images: a bad image has a null payload too; count it apart from a missing one.
      long bad = nz(corpus.agg(sum(when(user.isNotNull().and(col(CorpusReader.BAD_IMAGE)), 1).otherwise(0))).first(), 0);
      out.put("skipped_missing_text", nz(r, 2) - bad);
      out.put("skipped_bad_image", bad);
    } else {
      out.put("skipped_missing_text", nz(r, 2));
    }
    out.put("skipped_unknown_label", nz(r, 3));
    out.put("records_after_bounding", b.getLong(0));
    out.put("users", b.getLong(1));
    return out;
  }

  private static long nz(Row r, int i) {
    return r.isNullAt(i) ? 0L : r.getLong(i);
  }

  private static Column isValid(List<String> labels) {
    Column user = col(CorpusReader.USER);
    Column text = col(CorpusReader.TEXT);
    // CorpusReader made the user key (trimmed, blank as null): the check and the grouping use the same column.
    return user.isNotNull()
        .and(text.isNotNull()).and(functions.trim(text).notEqual(""))
        .and(col(CorpusReader.LABEL).isin(labels.toArray()));
  }

  private static Column labelIndex(List<String> labels) {
    Column c = lit(-1);
    for (int i = labels.size() - 1; i >= 0; i--) {
      c = when(col(CorpusReader.LABEL).equalTo(labels.get(i)), i).otherwise(c);
    }
    return c;
  }
}
