package org.dpsynth.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.dpsynth.config.JobConfig;

/**
 * Reads a corpus of (user, text, label) records from Parquet, JSON Lines or CSV, with configurable
 * column names, into the canonical columns {@code user}, {@code text}, {@code label}.
 *
 * <p>Structural problems (a missing file or column, a column of the wrong type, a malformed JSON
 * line) are errors naming the file, the row and the column. Problems of single records (no user
 * id, no text, a label outside the public label set) are skipped by {@link ContributionBounds} and
 * counted in the private diagnostics.
 */
public final class CorpusReader {
  public static final String USER = "user";
  public static final String TEXT = "text";
  public static final String LABEL = "label";
  /**
   * Image modality only: true for a record whose image is present but unusable (empty,
   * undecodable, or not {@code input.image_width × input.image_height}); its payload is null, and
   * {@link ContributionBounds} counts it as {@code skipped_bad_image}. The image is never echoed.
   */
  public static final String BAD_IMAGE = "bad_image";
  /** Label given to every record of a corpus without a label column. */
  public static final String NO_LABEL = "all";

  /** The run's public label list: {@code labels.names}, or {@link #NO_LABEL} alone without a label column. */
  public static List<String> labelNames(JobConfig.Input in, JobConfig.Labels labels) {
    return in.hasLabels() ? List.copyOf(labels.names()) : List.of(NO_LABEL);
  }

  private static final String CORRUPT = "_corrupt_record";
  private static final String FILE = "_file";

  private CorpusReader() {}

  /** The detected or configured format: parquet, json or csv. */
  public static String formatOf(SparkSession spark, String path, String configured) {
    String f = configured == null ? "auto" : configured.toLowerCase(Locale.ROOT);
    if (f.equals("jsonl")) {
      return "json";
    }
    if (!f.equals("auto")) {
      return f;
    }
    String lower = path.toLowerCase(Locale.ROOT).replaceAll("/+$", "");
    if (lower.endsWith(".parquet")) {
      return "parquet";
    }
    if (lower.endsWith(".jsonl") || lower.endsWith(".json") || lower.endsWith(".ndjson")) {
      return "json";
    }
    if (lower.endsWith(".csv")) {
      return "csv";
    }
    // A directory: look at the first data file in it.
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (fs.getFileStatus(p).isDirectory()) {
        for (FileStatus s : fs.listStatus(p)) {
          String n = s.getPath().getName().toLowerCase(Locale.ROOT);
          if (n.startsWith("_") || n.startsWith(".")) {
            continue;
          }
          if (n.endsWith(".parquet")) {
            return "parquet";
          }
          if (n.endsWith(".json") || n.endsWith(".jsonl") || n.endsWith(".ndjson")) {
            return "json";
          }
          if (n.endsWith(".csv")) {
            return "csv";
          }
        }
      }
    } catch (IOException e) {
      throw new InputException("input.path " + path + ": cannot be listed (" + e.getMessage() + ")");
    }
    throw new InputException("input.path " + path + ": cannot tell its format from the name; set input.format to parquet, jsonl, csv or image-folder");
  }

  /** Reads the corpus and returns columns user, text, label (all strings; user/text may be null). */
  public static Dataset<Row> read(SparkSession spark, JobConfig.Input in) {
    String path = in.path();
    ensureExists(spark, path);
    String format = formatOf(spark, path, in.format());
    if (format.equals(ImageFolder.FORMAT)) {
      return ImageFolder.read(spark, in);
    }
    Dataset<Row> raw = switch (format) {
      case "parquet" -> spark.read().parquet(path);
      case "json" -> spark.read()
          .option("mode", "PERMISSIVE")
          .option("columnNameOfCorruptRecord", CORRUPT)
          .schema(jsonSchema(spark, path, in))
          .json(path);
      case "csv" -> spark.read()
          .option("header", "true")
          .option("multiLine", "true")
          .option("escape", "\"")
          .option("mode", "PERMISSIVE")
          .csv(path);
      default -> throw new InputException("input.format: expected parquet, jsonl, csv or image-folder, got " + format);
    };
    raw = raw.withColumn(FILE, functions.input_file_name());
    StructType schema = raw.schema();
    if (format.equals("json")) {
      raw = raw.cache();
      long corrupt = raw.filter(col(CORRUPT).isNotNull()).count();
      if (corrupt > 0) {
        Row first = firstBad(raw, col(CORRUPT).isNotNull());
        raw.unpersist();
        throw new InputException(String.format(
            "%s, row %d: not a valid JSON object (%d malformed row%s in the input)",
            first.getString(0), first.getLong(1), corrupt, corrupt == 1 ? "" : "s"));
      }
      requireJsonKeys(raw, in, path);
    }
    // One user key for every later step (the missing-user check and the per-user grouping): the id
    // trimmed, blank as null, so " alice" and "alice" are one user, not two with a bound each.
    Column user = in.hasUsers() ? userKey(stringColumn(schema, in.userColumn(), "input.user_column", path))
        : functions.sha2(functions.concat_ws("\u0001", col(FILE), functions.monotonically_increasing_id().cast("string")), 256);
    Column label = in.hasLabels() ? stringColumn(schema, in.labelColumn(), "input.label_column", path) : lit(NO_LABEL);
    if (in.images()) {
      // The canonical payload (base64 of an 8-bit gray PNG), "" for a bad image, null for none.
      return imageRecords(raw, user, imageColumn(schema, in, path), label);
    }
    Column text = stringColumn(schema, in.textColumn(), "input.text_column", path);
    Dataset<Row> out = raw.select(user.as(USER), text.as(TEXT), label.as(LABEL));
    return out;
  }

  /** The canonical image-modality columns from a user key, the checked payload ("" bad, null none) and a label. */
  static Dataset<Row> imageRecords(Dataset<Row> raw, Column user, Column image, Column label) {
    Dataset<Row> checked = raw.select(user.as(USER), image.as("_image"), label.as(LABEL));
    Column bad = functions.coalesce(col("_image").equalTo(""), lit(false));
    return checked.select(col(USER), functions.when(bad, lit(null).cast("string")).otherwise(col("_image")).as(TEXT),
        col(LABEL), bad.as(BAD_IMAGE));
  }

  /** The image column checked and made canonical by {@link ImagePayloads} (binary: PNG bytes; string: base64). */
  private static Column imageColumn(StructType schema, JobConfig.Input in, String path) {
    String name = in.imageColumn();
    StructField field = Arrays.stream(schema.fields()).filter(f -> f.name().equals(name)).findFirst().orElse(null);
    if (field == null) {
      List<String> have = Arrays.stream(schema.fields()).map(StructField::name)
          .filter(n -> !n.equals(FILE) && !n.equals(CORRUPT)).toList();
      throw new InputException(path + ": column '" + name + "' (input.image_column) not found; the input has columns " + have);
    }
    DataType t = field.dataType();
    if (t.equals(DataTypes.BinaryType)) {
      return functions.udf(new ImagePayloads.FromBytes(in.imageWidth(), in.imageHeight()), DataTypes.StringType).apply(col(name));
    }
    if (t.equals(DataTypes.StringType)) {
      return functions.udf(new ImagePayloads.FromBase64(in.imageWidth(), in.imageHeight()), DataTypes.StringType).apply(col(name));
    }
    throw new InputException(path + ": column '" + name + "' (input.image_column) has type " + t.simpleString()
        + "; expected binary (PNG bytes) or a string (base64 PNG)");
  }

  /** The user key: the id trimmed; blank ids become null (skipped and counted downstream). */
  static Column userKey(Column raw) {
    Column t = functions.trim(raw);
    return functions.when(t.equalTo(""), lit(null).cast("string")).otherwise(t);
  }

  /**
   * JSON is read with a fixed schema, so a misspelt or renamed key would silently read as null in
   * every row: a configured column that no row has is reported like a missing Parquet/CSV column.
   */
  private static void requireJsonKeys(Dataset<Row> raw, JobConfig.Input in, String path) {
    List<String[]> wanted = new java.util.ArrayList<>();
    if (in.hasUsers()) {
      wanted.add(new String[] {in.userColumn(), "input.user_column"});
    }
    wanted.add(in.images() ? new String[] {in.imageColumn(), "input.image_column"} : new String[] {in.textColumn(), "input.text_column"});
    if (in.hasLabels()) {
      wanted.add(new String[] {in.labelColumn(), "input.label_column"});
    }
    Column[] present = wanted.stream().map(w -> functions.count(col(w[0]))).toArray(Column[]::new);
    Row counts = raw.agg(functions.count(lit(1)), present).first();
    if (counts.getLong(0) == 0) {
      raw.unpersist();
      throw new InputException("input.path " + path + ": the input has no records");
    }
    for (int i = 0; i < wanted.size(); i++) {
      if (counts.getLong(i + 1) == 0) {
        raw.unpersist();
        throw new InputException(path + ": column '" + wanted.get(i)[0] + "' (" + wanted.get(i)[1]
            + ") not found: no JSON object in the input has this key");
      }
    }
  }

  /** The file and 1-based row of the first row matching {@code bad}, in file order. */
  private static Row firstBad(Dataset<Row> raw, Column bad) {
    Dataset<Row> numbered = raw
        .withColumn("_order", functions.monotonically_increasing_id())
        .withColumn("_row", functions.row_number().over(Window.partitionBy(col(FILE)).orderBy(col("_order"))));
    return numbered.filter(bad).orderBy(col(FILE), col("_row"))
        .select(col(FILE), col("_row").cast("long")).first();
  }

  private static StructType jsonSchema(SparkSession spark, String path, JobConfig.Input in) {
    // Read every configured column as a string so numbers and strings in one column do not fail
    // schema inference; a non-scalar value lands in the corrupt-record column and is reported.
    List<String> names = Stream.of(in.userColumn(), in.payloadColumn(), in.labelColumn())
        .filter(n -> n != null && !n.isBlank()).distinct().toList();
    StructType s = new StructType();
    for (String n : names) {
      s = s.add(n, DataTypes.StringType, true);
    }
    return s.add(CORRUPT, DataTypes.StringType, true);
  }

  private static Column stringColumn(StructType schema, String name, String key, String path) {
    StructField field = Arrays.stream(schema.fields())
        .filter(f -> f.name().equals(name)).findFirst().orElse(null);
    if (field == null) {
      List<String> have = Arrays.stream(schema.fields()).map(StructField::name)
          .filter(n -> !n.equals(FILE) && !n.equals(CORRUPT)).toList();
      throw new InputException(path + ": column '" + name + "' (" + key + ") not found; the input has columns " + have);
    }
    DataType t = field.dataType();
    if (t.equals(DataTypes.StringType)) {
      return col(name);
    }
    if (t.equals(DataTypes.LongType) || t.equals(DataTypes.IntegerType) || t.equals(DataTypes.ShortType)
        || t.equals(DataTypes.BinaryType) && !key.equals("input.user_column")) {
      return col(name).cast("string");
    }
    throw new InputException(path + ": column '" + name + "' (" + key + ") has type " + t.simpleString()
        + "; expected a string" + (key.equals("input.user_column") ? " or an integer" : ""));
  }

  private static void ensureExists(SparkSession spark, String path) {
    try {
      Path p = new Path(path);
      Configuration conf = spark.sparkContext().hadoopConfiguration();
      FileSystem fs = p.getFileSystem(conf);
      FileStatus[] matches = fs.globStatus(p);
      if (matches == null || matches.length == 0) {
        throw new InputException("input.path " + path + ": no such file or directory");
      }
    } catch (IOException e) {
      throw new InputException("input.path " + path + ": cannot be read (" + e.getMessage() + ")");
    }
  }
}
