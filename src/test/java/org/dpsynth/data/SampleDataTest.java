package org.dpsynth.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The shipped sample corpora: the Parquet copies hold exactly the JSON Lines records. */
class SampleDataTest {

  private static Dataset<Row> read(String path) {
    JobConfig cfg = ConfigLoader.load(null, List.of("input.path=" + path, "labels.names=[x]"));
    return CorpusReader.read(SparkTestSession.get(), cfg.input());
  }

  @ParameterizedTest
  @ValueSource(strings = {"fortunes-private", "fortunes-heldout"})
  void parquetAndJsonLinesAgree(String name) {
    Dataset<Row> jsonl = read("data-samples/" + name + ".jsonl");
    Dataset<Row> parquet = read("data-samples/" + name + ".parquet");
    long n = jsonl.count();
    assertTrue(n > 300, name + " has " + n + " records");
    assertEquals(n, parquet.count());
    assertEquals(0, jsonl.exceptAll(parquet).count(), "every JSON Lines record is in the Parquet copy");
    assertEquals(0, parquet.exceptAll(jsonl).count(), "and nothing else");
    assertEquals(0, jsonl.filter("user is null or text is null or label is null").count(), "no empty fields");
  }
}
