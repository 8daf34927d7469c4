package org.dpsynth.pe;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * The layout of a run directory (DESIGN.md): {@code public/} holds only what may be shared,
 * {@code private/} what never leaves the operator, and the privacy ledger sits beside them.
 *
 * <p>Small files are written atomically (temporary file, fsync, rename), so a crash leaves either
 * the old or the new content, never a torn file.
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

  public Path ledger() {
    return root.resolve("privacy-ledger.jsonl");
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

  public Path runState() {
    return privateDir().resolve("run-state.json");
  }

  public Path modelCache() {
    return privateDir().resolve("model-cache");
  }

  /** Creates the directory skeleton. */
  public void create() {
    try {
      Files.createDirectories(publicDir().resolve("iterations"));
      Files.createDirectories(privateDir());
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

  /** Writes JSON atomically and durably. */
  public static void writeJson(Path file, Object value) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling("." + file.getFileName() + ".tmp");
      Files.write(tmp, JSON.writeValueAsBytes(value));
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
  }

  /**
   * Starts a new run here or resumes the one that was started with the same configuration: the run
   * id and a fingerprint of the config (everything but {@code output}) live in
   * {@code private/run-state.json}; a different config on an existing run directory is refused.
   *
   * @return the run id
   */
  public String startOrResume(Object config, java.io.PrintStream console) {
    JsonNode fingerprint = fingerprint(config);
    if (Files.isRegularFile(runState())) {
      JsonNode state = readJson(runState());
      if (!state.path("config").equals(fingerprint)) {
        throw new org.dpsynth.config.ConfigException("run directory " + root + " was started with a different configuration; "
            + "use a new --out directory (or the original configuration to resume)");
      }
      String runId = state.path("run_id").asText();
      console.println("resuming run " + runId + " in " + root);
      return runId;
    }
    String runId = java.util.UUID.randomUUID().toString();
    com.fasterxml.jackson.databind.node.ObjectNode state = JSON.createObjectNode();
    state.put("run_id", runId);
    state.set("config", fingerprint);
    writeJson(runState(), state);
    console.println("run " + runId + " in " + root);
    return runId;
  }

  /** The configuration that determines a result (everything but where it is written). */
  private static JsonNode fingerprint(Object config) {
    com.fasterxml.jackson.databind.node.ObjectNode tree =
        (com.fasterxml.jackson.databind.node.ObjectNode) org.dpsynth.config.ConfigLoader.toTree(config);
    tree.remove("output");
    // Round-trip through text so numbers compare by value, as they will when read back from disk.
    try {
      return JSON.readTree(JSON.writeValueAsString(tree));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
