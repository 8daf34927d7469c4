package org.dpsynth.foundation.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.stream.Stream;

/**
 * Response bodies stored as files {@code <dir>/<first 2 hex>/<sha256>.json}, written atomically
 * (temp file in the same directory, then a move) so a crash never leaves a half-written entry and
 * concurrent writers of the same key are harmless. Entries hold response bodies only — never the
 * request or the API key — but responses to prompts with private text are derived from private
 * text, so the directory belongs in the run's {@code private/} area.
 */
final class ResponseCache {
  private static final System.Logger LOG = System.getLogger(ResponseCache.class.getName());

  private final Path dir;

  ResponseCache(Path dir) {
    this.dir = dir;
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cacheDir: cannot create " + dir, e);
    }
  }

  static String sha256Hex(String s) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(md.digest(s.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 unavailable", e);
    }
  }

  private Path file(String key) {
    return dir.resolve(key.substring(0, 2)).resolve(key + ".json");
  }

  /** The cached body, or {@code null} if absent or unreadable (then it is simply refetched). */
  JsonNode get(String key) {
    Path f = file(key);
    if (!Files.isRegularFile(f)) {
      return null;
    }
    try {
      JsonNode node = OpenAiClient.JSON.readTree(f.toFile());
      return node != null && node.isObject() ? node : null;
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "unreadable cache entry " + f + "; refetching");
      return null;
    }
  }

  /**
   * Best effort: a failed write is logged and the run continues (it only costs a refetch later).
   */
  void put(String key, byte[] body) {
    Path target = file(key);
    Path tmp = null;
    try {
      Files.createDirectories(target.getParent());
      tmp = Files.createTempFile(target.getParent(), key, ".tmp");
      Files.write(tmp, body);
      try {
        Files.move(
            tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "cannot write cache entry " + target + ": " + e);
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
          // nothing more to do
        }
      }
    }
  }

  long size() {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(p -> p.toString().endsWith(".json")).count();
    } catch (IOException e) {
      return 0;
    }
  }
}
