package org.dpsynth.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.Consumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/**
 * The layout of a run directory (docs/design.md, "CLI contract") on any Hadoop file system:
 * {@code public/} holds only what may be shared, {@code private/} what never leaves the operator,
 * including every temporary file.
 *
 * <p>Files are committed atomically and durably ({@link Storage#commit}): on stores with an atomic
 * rename they are written under {@code private/tmp/}, forced, and renamed into place; on object
 * stores the object is written directly and appears whole or not at all. A crash therefore never
 * leaves part of a file at its target, and an uncommitted draw can only ever sit under
 * {@code private/}.
 */
public final class RunDirectory {
  public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path root;
  private final Configuration conf;

  private RunDirectory(Path root, Configuration conf) {
    this.root = root;
    this.conf = conf;
  }

  /** A run directory at a location: a URI ({@code hdfs://…}, {@code s3a://…}, {@code file:/…}) or a bare path on the default file system. */
  public static RunDirectory at(String location, Configuration conf) {
    return new RunDirectory(Storage.qualify(location, conf), conf);
  }

  /** A run directory on the local file system. */
  public RunDirectory(java.nio.file.Path local) {
    this(Storage.of(local), new Configuration());
  }

  public Path root() {
    return root;
  }

  public Configuration conf() {
    return conf;
  }

  public Path publicDir() {
    return new Path(root, "public");
  }

  public Path privateDir() {
    return new Path(root, "private");
  }

  /** Temporary files of commits: under {@code private/}, so no draw is ever visible in {@code public/} before it is committed. */
  public Path tmpDir() {
    return new Path(privateDir(), "tmp");
  }

  public Path manifest() {
    return new Path(publicDir(), "manifest.json");
  }

  public Path synthetic() {
    return new Path(publicDir(), "synthetic");
  }

  /**
   * {@code public/synthetic-images/<label>/} ({@code output.image_folder}): the label URL-encoded
   * (UTF-8, a leading dot too), so any label is one safe directory name and distinct labels stay distinct.
   */
  public Path syntheticImages(String label) {
    String dirName = java.net.URLEncoder.encode(label, java.nio.charset.StandardCharsets.UTF_8).replaceFirst("^\\.", "%2E");
    return new Path(new Path(publicDir(), "synthetic-images"), dirName);
  }

  public Path iteration(int t) {
    return new Path(new Path(publicDir(), "iterations"), String.format("%03d", t));
  }

  public Path population(int t) {
    return new Path(iteration(t), "population.parquet");
  }

  public Path histogram(int t) {
    return new Path(iteration(t), "histogram.json");
  }

  public Path labelRelease() {
    return new Path(publicDir(), "labels.json");
  }

  public Path privateEmbeddings() {
    return new Path(privateDir(), "embeddings.parquet");
  }

  public Path diagnostics() {
    return new Path(privateDir(), "diagnostics.json");
  }

  /** Exact timings of the run's phases: they grow with the private corpus, so they stay private. */
  public Path timings() {
    return new Path(privateDir(), "timings.json");
  }

  public Path runState() {
    return new Path(privateDir(), "run-state.json");
  }

  public Path modelCache() {
    return new Path(privateDir(), "model-cache");
  }

  /** Creates the skeleton and removes temporary files an interrupted commit left behind. */
  public void create() {
    Storage.mkdirs(publicDir(), conf);
    Storage.mkdirs(tmpDir(), conf);
    Storage.clear(tmpDir(), conf);
  }

  public boolean exists(Path p) {
    return Storage.exists(p, conf);
  }

  public boolean isFile(Path p) {
    return Storage.isFile(p, conf);
  }

  /** True when a Spark Parquet write to {@code dir} committed. */
  public boolean complete(Path dir) {
    return Storage.isFile(new Path(dir, "_SUCCESS"), conf);
  }

  public byte[] read(Path file) {
    return Storage.read(file, conf);
  }

  public JsonNode readJson(Path file) {
    try {
      return JSON.readTree(read(file));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Reads a local JSON file (tests and tools that inspect a local run directory). */
  public static JsonNode readJson(java.nio.file.Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Commits {@code value} as JSON to {@code file} (atomic and durable; see the class comment). */
  public void writeJson(Path file, Object value) {
    try {
      commit(file, JSON.writeValueAsBytes(value));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Commits bytes to {@code file} ({@link Storage#commit}, temporary files under {@code private/tmp/}). */
  public void commit(Path file, byte[] bytes) {
    Storage.commit(file, bytes, tmpDir(), conf);
  }

  /** A JSON file holding one released vector under {@code key}, with public metadata beside it, committed by {@link #writeJson}. */
  public Persisted<double[]> vectorRelease(Path file, String key, Consumer<ObjectNode> metadata) {
    return new Persisted<>() {
      @Override
      public boolean committed() {
        return isFile(file);
      }

      @Override
      public double[] read() {
        JsonNode arr = readJson(file).path(key);
        double[] out = new double[arr.size()];
        for (int i = 0; i < out.length; i++) {
          out[i] = arr.get(i).asDouble();
        }
        return out;
      }

      @Override
      public void commit(double[] value) {
        ObjectNode o = JSON.createObjectNode();
        metadata.accept(o);
        ArrayNode values = o.putArray(key);
        for (double v : value) {
          values.add(v);
        }
        writeJson(file, o);
      }
    };
  }
}
