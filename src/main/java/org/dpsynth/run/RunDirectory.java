package org.dpsynth.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * The layout of a run directory (DESIGN.md, "CLI contract"): {@code public/} holds only what may
 * be shared, {@code private/} what never leaves the operator, including every temporary file.
 *
 * <p>Files are committed atomically and durably: written to {@code private/tmp/}, forced to
 * storage, then renamed into place. A crash therefore leaves either nothing or the whole file at
 * the target, and an uncommitted draw can only ever sit under {@code private/}.
 */
public final class RunDirectory {
  public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path root;

  public RunDirectory(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  public Path root() {
    return root;
  }

  public Path publicDir() {
    return root.resolve("public");
  }

  public Path privateDir() {
    return root.resolve("private");
  }

  /** Temporary files of commits: under {@code private/}, so no draw is ever visible in {@code public/} before it is committed. */
  public Path tmpDir() {
    return privateDir().resolve("tmp");
  }

  public Path manifest() {
    return publicDir().resolve("manifest.json");
  }

  public Path synthetic() {
    return publicDir().resolve("synthetic");
  }

  public Path iteration(int t) {
    return publicDir().resolve("iterations").resolve(String.format("%03d", t));
  }

  public Path population(int t) {
    return iteration(t).resolve("population.parquet");
  }

  public Path histogram(int t) {
    return iteration(t).resolve("histogram.json");
  }

  public Path labelRelease() {
    return publicDir().resolve("labels.json");
  }

  public Path privateEmbeddings() {
    return privateDir().resolve("embeddings.parquet");
  }

  public Path diagnostics() {
    return privateDir().resolve("diagnostics.json");
  }

  /** Exact timings of the run's phases: they grow with the private corpus, so they stay private. */
  public Path timings() {
    return privateDir().resolve("timings.json");
  }

  public Path runState() {
    return privateDir().resolve("run-state.json");
  }

  public Path modelCache() {
    return privateDir().resolve("model-cache");
  }

  /** Creates the skeleton and removes temporary files an interrupted commit left behind. */
  public void create() {
    try {
      Files.createDirectories(publicDir());
      Files.createDirectories(tmpDir());
      try (Stream<Path> stale = Files.list(tmpDir())) {
        for (Path p : stale.toList()) {
          Files.deleteIfExists(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create run directory " + root, e);
    }
  }

  /** True when a Spark Parquet write to {@code dir} committed. */
  public static boolean complete(Path dir) {
    return Files.isRegularFile(dir.resolve("_SUCCESS"));
  }

  public static JsonNode readJson(Path file) {
    try {
      return JSON.readTree(file.toFile());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  /** Commits {@code value} as JSON to {@code file} (atomic, durable; temporary file under private/). */
  public void writeJson(Path file, Object value) {
    try {
      commit(file, JSON.writeValueAsBytes(value));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** Commits bytes to {@code file}: written and forced under {@code private/tmp/}, then renamed into place. */
  public void commit(Path file, byte[] bytes) {
    try {
      Files.createDirectories(tmpDir());
      Files.createDirectories(file.toAbsolutePath().getParent());
      Path tmp = tmpDir().resolve(UUID.randomUUID() + ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      forceDirectory(file.toAbsolutePath().getParent());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /** A JSON file holding one released vector under {@code key}, with public metadata beside it, committed by {@link #writeJson}. */
  public Persisted<double[]> vectorRelease(Path file, String key, java.util.function.Consumer<ObjectNode> metadata) {
    return new Persisted<>() {
      @Override
      public boolean committed() {
        return Files.isRegularFile(file);
      }

      @Override
      public double[] read() {
        JsonNode arr = RunDirectory.readJson(file).path(key);
        double[] out = new double[arr.size()];
        for (int i = 0; i < out.length; i++) {
          out[i] = arr.get(i).asDouble();
        }
        return out;
      }

      @Override
      public void commit(double[] value) {
        ObjectNode o = RunDirectory.JSON.createObjectNode();
        metadata.accept(o);
        ArrayNode values = o.putArray(key);
        for (double v : value) {
          values.add(v);
        }
        writeJson(file, o);
      }
    };
  }

  private static void forceDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Not every platform can fsync a directory; the file itself is already forced.
    }
  }
}
