package org.dpsynth.cli;

import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.data.CorpusReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code convert}: rewrites a JSON Lines or CSV file as Parquet (used to build data-samples/). */
@Command(
    name = "convert",
    mixinStandardHelpOptions = true,
    description = "Rewrite a JSON Lines, CSV or Parquet dataset as one Parquet file in a directory.")
public final class ConvertCommand implements Callable<Integer> {
  @Option(names = "--in", required = true, description = "Input path (.jsonl, .csv or Parquet).")
  String in;

  @Option(names = "--out", required = true, description = "Output directory (overwritten).")
  String out;

  @Option(names = "--format", defaultValue = "auto", description = "auto, parquet, jsonl or csv (default: ${DEFAULT-VALUE}).")
  String format;

  @Override
  public Integer call() {
    SparkSession spark = SparkSessions.getOrCreate("dpsynth convert");
    String f = CorpusReader.formatOf(spark, in, format);
    Dataset<Row> df = switch (f) {
      case "json" -> spark.read().json(in);
      case "csv" -> spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"").csv(in);
      default -> spark.read().parquet(in);
    };
    long rows = df.count();
    df.coalesce(1).write().mode(SaveMode.Overwrite).option("compression", "zstd").parquet(out);
    System.out.printf("wrote %d rows to %s%n", rows, out);
    return 0;
  }
}
