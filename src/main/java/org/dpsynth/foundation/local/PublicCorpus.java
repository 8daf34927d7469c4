package org.dpsynth.foundation.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the public training corpus of the embedded generator: JSON Lines, one object per line
 * with a string field {@code text} (other fields such as {@code source} are ignored).
 */
public final class PublicCorpus {
  private static final ObjectMapper JSON = new ObjectMapper();

  private PublicCorpus() {}

  /** The {@code text} of every record; blank lines are skipped. */
  public static List<String> readJsonl(Path path) {
    try (InputStream in = Files.newInputStream(path)) {
      return readJsonl(in, path.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read public corpus " + path, e);
    }
  }

  /**
   * The {@code text} of every record in {@code in} (not closed); {@code sourceName} names the
   * input in error messages.
   */
  public static List<String> readJsonl(InputStream in, String sourceName) {
    List<String> texts = new ArrayList<>();
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    int lineNo = 0;
    try {
      for (String line; (line = reader.readLine()) != null; ) {
        lineNo++;
        if (line.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
          throw new IllegalArgumentException(
              "public corpus " + sourceName + ", line " + lineNo + ": not valid JSON near column "
                  + (e.getLocation() == null ? "?" : e.getLocation().getColumnNr()));
        }
        JsonNode text = node == null ? null : node.get("text");
        if (text == null || !text.isTextual()) {
          throw new IllegalArgumentException(
              "public corpus " + sourceName + ", line " + lineNo
                  + ": expected a JSON object with a string field \"text\"");
        }
        texts.add(text.asText());
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read public corpus " + sourceName + " at line " + (lineNo + 1), e);
    }
    if (texts.isEmpty()) {
      throw new IllegalArgumentException("public corpus " + sourceName + " has no records");
    }
    return texts;
  }
}
