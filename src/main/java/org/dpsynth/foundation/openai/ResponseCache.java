package org.dpsynth.foundation.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.dpsynth.run.Storage;

/**
 * Response bodies stored as files {@code <dir>/<first 2 hex>/<sha256>.json} on any Hadoop file
 * system (executors write here, so on a cluster it is a shared store such as HDFS), each committed
 * atomically ({@link Storage#commit}) so a crash never leaves a half-written entry and concurrent
 * writers of the same key are harmless. Entries hold response bodies only — never the request or
 * the API key — but responses to prompts with private text are derived from private text, so the
 * directory belongs in the run's {@code private/} area.
 */
final class ResponseCache {
  private static final System.Logger LOG = System.getLogger(ResponseCache.class.getName());

  private final Path dir;
  private final Configuration conf = new Configuration();

  ResponseCache(String location) {
    this.dir = Storage.qualify(location, conf);
    Storage.mkdirs(dir, conf);
  }

  static String sha256Hex(String s) {
    return sha256Hex(s.getBytes(StandardCharsets.UTF_8));
  }

  static String sha256Hex(byte[] bytes) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  private Path file(String key) {
    return new Path(new Path(dir, key.substring(0, 2)), key + ".json");
  }

  /** The cached body, or {@code null} if absent or unreadable (then it is simply refetched). */
  JsonNode get(String key) {
    Path f = file(key);
    try {
      if (!Storage.isFile(f, conf)) {
        return null;
      }
      JsonNode node = OpenAiClient.JSON.readTree(Storage.read(f, conf));
      return node != null && node.isObject() ? node : null;
    } catch (IOException | UncheckedIOException e) {
      LOG.log(System.Logger.Level.WARNING, "unreadable cache entry " + f + "; refetching");
      return null;
    }
  }

  /**
   * Best effort: a failed write is logged and the run continues (it only costs a refetch later).
   */
  void put(String key, byte[] body) {
    Path target = file(key);
    try {
      Storage.commit(target, body, new Path(dir, "_tmp"), conf);
    } catch (UncheckedIOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot write cache entry " + target + ": " + e.getCause());
    }
  }

  long size() {
    try {
      FileSystem fs = Storage.fs(dir, conf);
      long n = 0;
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
      while (it.hasNext()) {
        n += it.next().getPath().getName().endsWith(".json") ? 1 : 0;
      }
      return n;
    } catch (IOException e) {
      return 0;
    }
  }
}
