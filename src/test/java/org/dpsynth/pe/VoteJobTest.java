package org.dpsynth.pe;

import org.dpsynth.bench.VoteScalingBenchmark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

/** The vote stage's reading of per-user rows from Spark's binary form. */
class VoteJobTest {
  private static Row user(String id, Row... records) {
    return RowFactory.create(id, scala.jdk.javaapi.CollectionConverters.asScala(List.of(records)));
  }

  private static Row record(long score, int label, Object... vec) {
    return RowFactory.create(score, label, scala.jdk.javaapi.CollectionConverters.asScala(List.of(vec)));
  }

  @Test
  void readsRecordsInSeededHashOrderAsPrimitiveFloats() {
    SparkSession spark = SparkTestSession.get();
    Dataset<Row> perUser = spark.createDataFrame(
        List.of(user("u1", record(30L, 2, 0.5f, -1f), record(-7L, 0, 0.25f, 2f), record(4L, 1, 3f, 4f))),
        VoteScalingBenchmark.PER_USER);
    // Read on the executor (records are not Kryo-serialisable; a string comes back).
    List<String> got = VoteJob.internalRows(perUser).map(r -> {
      VoteJob.UserRecords u = VoteJob.UserRecords.of(r);
      return java.util.Arrays.toString(u.labels()) + java.util.Arrays.deepToString(u.vectors());
    }).collect();
    assertEquals(List.of("[0, 1, 2][[0.25, 2.0], [3.0, 4.0], [0.5, -1.0]]"), got, "records sorted by score -7 < 4 < 30");
  }

  @Test
  void refusesVectorsThatAreNotFloats() {
    SparkSession spark = SparkTestSession.get();
    StructType record = new StructType()
        .add("score", DataTypes.LongType, false)
        .add("label", DataTypes.IntegerType, false)
        .add("vec", DataTypes.createArrayType(DataTypes.DoubleType, false), false);
    StructType schema = new StructType()
        .add("user", DataTypes.StringType, false)
        .add("records", DataTypes.createArrayType(record, false), false);
    Dataset<Row> doubles = spark.createDataFrame(List.of(user("u1", record(1L, 0, 0.5, 1.5))), schema);
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> VoteJob.internalRows(doubles));
    assertTrue(e.getMessage().contains("vec: array<float>"), e.getMessage());
  }
}
