package org.dpsynth.data;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.dpsynth.config.JobConfig;

/**
 * {@code input.format: image-folder}: a directory of image files laid out as torchvision's
 * ImageFolder with one more level for the privacy unit, {@code <label>/<user>/<any name>} (the
 * label level is absent when {@code input.label_column} is empty, the user level when {@code
 * input.user_column} is empty: then every file is its own user). Any file ImageIO reads (PNG,
 * JPEG, BMP, GIF) is a record; a file it cannot read, an empty one or one of the wrong size is a
 * bad image, counted like a bad image in Parquet. Names starting with {@code .} or {@code _} are
 * ignored (Spark's rule for hidden files).
 *
 * <p>A file at another depth is an error (the layout is wrong, not one record): the message gives
 * the count and where the first one is, but never a user directory's name, since user ids are
 * private.
 */
final class ImageFolder {
  static final String FORMAT = "image-folder";

  private ImageFolder() {}

  static Dataset<Row> read(SparkSession spark, JobConfig.Input in) {
    String path = in.path();
    String root;
    try {
      Path p = new Path(path);
      FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
      if (!fs.getFileStatus(p).isDirectory()) {
        throw new InputException("input.path " + path + ": input.format image-folder needs a directory");
      }
      root = fs.makeQualified(p).toUri().getPath().replaceAll("/+$", "");
    } catch (IOException e) {
      throw new InputException("input.path " + path + ": cannot be read (" + e.getMessage() + ")");
    }
    int depth = (in.hasLabels() ? 1 : 0) + (in.hasUsers() ? 1 : 0) + 1;
    Dataset<Row> read = spark.read().format("binaryFile").option("recursiveFileLookup", "true").load(path);
    // Spark's file sources skip empty files; they are bad images here, so they are listed and added back.
    List<Row> empty = emptyFiles(spark, path, root);
    if (!empty.isEmpty()) {
      read = read.union(spark.createDataFrame(empty, read.schema()));
    }
    Dataset<Row> files = read
        .withColumn("_parts", functions.split(functions.udf(new RelativePath(root), DataTypes.StringType).apply(col("path")), "/"));
    // Only the path column: Spark's binaryFile source then reads no file contents for this check.
    Dataset<Row> misplaced = files.select(col("path"), col("_parts")).filter(functions.size(col("_parts")).notEqual(depth));
    long wrong = misplaced.count();
    if (wrong > 0) {
      List<String> first = misplaced.orderBy("path").first().getList(1);
      String where = first == null ? "one outside it" : first.size() == 1 ? "'" + first.get(0) + "' at the top level"
          : in.hasLabels() ? "one under '" + first.get(0) + "/', " + first.size() + " levels deep" : "one " + first.size() + " levels deep";
      throw new InputException(String.format("input.path %s: %d file%s not at %s (input.format image-folder); the first: %s",
          path, wrong, wrong == 1 ? " is" : "s are", layout(in), where));
    }
    Column label = in.hasLabels() ? functions.element_at(col("_parts"), 1) : lit(CorpusReader.NO_LABEL);
    Column user = in.hasUsers() ? CorpusReader.userKey(functions.element_at(col("_parts"), in.hasLabels() ? 2 : 1))
        : functions.sha2(col("path"), 256);
    Column image = functions.udf(new ImagePayloads.FromBytes(in.imageWidth(), in.imageHeight()), DataTypes.StringType).apply(col("content"));
    return CorpusReader.imageRecords(files, user, image, label);
  }

  /** Rows (path, modificationTime, length, content) of the empty files under the folder that Spark would list (not hidden). */
  private static List<Row> emptyFiles(SparkSession spark, String path, String root) {
    List<Row> out = new ArrayList<>();
    try {
      Path p = new Path(path);
      RemoteIterator<LocatedFileStatus> it = p.getFileSystem(spark.sparkContext().hadoopConfiguration()).listFiles(p, true);
      while (it.hasNext()) {
        LocatedFileStatus f = it.next();
        String rel = new RelativePath(root).call(f.getPath().toString());
        if (f.getLen() == 0 && rel != null && java.util.Arrays.stream(rel.split("/")).noneMatch(n -> n.startsWith(".") || n.startsWith("_"))) {
          out.add(RowFactory.create(f.getPath().toString(), new java.sql.Timestamp(f.getModificationTime()), 0L, new byte[0]));
        }
      }
    } catch (IOException e) {
      throw new InputException("input.path " + path + ": cannot be listed (" + e.getMessage() + ")");
    }
    return out;
  }

  /** The layout the settings ask for, for messages and docs. */
  static String layout(JobConfig.Input in) {
    return (in.hasLabels() ? "<label>/" : "") + (in.hasUsers() ? "<user>/" : "") + "<image file>";
  }

  /** A file's path relative to the folder ({@code null} outside it), decoded, '/'-separated. */
  record RelativePath(String root) implements UDF1<String, String> {
    @Override
    public String call(String file) {
      String p = new Path(file).toUri().getPath();
      return p.startsWith(root + "/") ? p.substring(root.length() + 1) : null;
    }
  }
}
