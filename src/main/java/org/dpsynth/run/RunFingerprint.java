package org.dpsynth.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.dpsynth.config.ConfigLoader;

/**
 * The settings that decide what a run releases and what it was charged for: the whole job
 * configuration minus keys that only change how the work is done (threads, retries, timeouts,
 * where the output goes, the budget cap). A run directory remembers the fingerprint it was started
 * with; a rerun with another fingerprint is refused, naming the keys that differ, because its
 * releases would not match the charges already in the ledger.
 */
public final class RunFingerprint {
  /** Keys (dotted) that never change a release or its charge, for every method. */
  public static final Set<String> OPERATIONAL = Set.of(
      "output",
      "budget.total_epsilon", "budget.ledger_user", "budget.ledger_password_env",
      "embedder.threads", "embedder.batch_size", "embedder.max_concurrency", "embedder.max_attempts",
      "embedder.timeout_seconds", "embedder.api_key_env",
      "generator.max_concurrency", "generator.max_attempts", "generator.timeout_seconds", "generator.api_key_env",
      "pretrain.threads", "dpft.partitions", "dpft.checkpoint_every",
      "eval");

  private final ObjectNode tree;

  private RunFingerprint(ObjectNode tree) {
    this.tree = tree;
  }

  /** The fingerprint of a job configuration record. */
  public static RunFingerprint of(Object config) {
    ObjectNode tree = (ObjectNode) ConfigLoader.toTree(config);
    for (String key : OPERATIONAL) {
      remove(tree, key);
    }
    return fromJson(tree);
  }

  /** A fingerprint read back from a run directory. */
  public static RunFingerprint fromJson(JsonNode node) {
    // Round-trip through text so numbers compare by value, as they do when read back from disk.
    try {
      return new RunFingerprint((ObjectNode) RunDirectory.JSON.readTree(RunDirectory.JSON.writeValueAsString(node)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public JsonNode json() {
    return tree;
  }

  /** Dotted keys whose values differ between the two fingerprints (sorted). */
  public List<String> differences(RunFingerprint other) {
    Set<String> out = new TreeSet<>();
    diff("", tree, other.tree, out);
    return new ArrayList<>(out);
  }

  private static void diff(String prefix, JsonNode a, JsonNode b, Set<String> out) {
    if (a != null && b != null && a.isObject() && b.isObject()) {
      Set<String> names = new TreeSet<>();
      a.fieldNames().forEachRemaining(names::add);
      b.fieldNames().forEachRemaining(names::add);
      for (String n : names) {
        diff(prefix.isEmpty() ? n : prefix + "." + n, a.get(n), b.get(n), out);
      }
    } else if (a == null || b == null || !a.equals(b)) {
      out.add(prefix.isEmpty() ? "(whole configuration)" : prefix);
    }
  }

  private static void remove(ObjectNode tree, String dotted) {
    String[] parts = dotted.split("\\.");
    JsonNode node = tree;
    for (int i = 0; i < parts.length - 1; i++) {
      node = node.get(parts[i]);
      if (node == null || !node.isObject()) {
        return;
      }
    }
    ((ObjectNode) node).remove(parts[parts.length - 1]);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RunFingerprint f && f.tree.equals(tree);
  }

  @Override
  public int hashCode() {
    return tree.hashCode();
  }
}
