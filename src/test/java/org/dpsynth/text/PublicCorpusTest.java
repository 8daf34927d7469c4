package org.dpsynth.text;

import org.dpsynth.foundation.ngram.LocalGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PublicCorpusTest {

  private static List<String> read(String jsonl) {
    return PublicCorpus.readJsonl(
        new ByteArrayInputStream(jsonl.getBytes(StandardCharsets.UTF_8)), "mem.jsonl");
  }

  @Test
  void readsTextFieldsAndSkipsBlankLines() {
    assertEquals(List.of("One.", "Two \"quoted\"."),
        read("{\"text\":\"One.\",\"source\":\"a\"}\n\n{\"source\":\"b\",\"text\":\"Two \\\"quoted\\\".\"}\n"));
  }

  @Test
  void readsFromAPath(@TempDir Path dir) throws Exception {
    Path f = dir.resolve("c.jsonl");
    Files.writeString(f, "{\"text\":\"The cat sat.\"}\n{\"text\":\"A dog ran.\"}\n");
    assertEquals(2, PublicCorpus.readJsonl(f).size());
    LocalGenerator g = LocalGenerator.fromJsonl(f);
    assertFalse(g.random("cat", 1, 1).get(0).isBlank());
  }

  @Test
  void errorsNameTheLineAndDoNotEchoText() {
    IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
        () -> read("{\"text\":\"ok\"}\n{\"text\": secret words\n"));
    assertTrue(bad.getMessage().contains("mem.jsonl, line 2"), bad.getMessage());
    assertFalse(bad.getMessage().contains("secret"), bad.getMessage());

    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
        () -> read("{\"text\":\"ok\"}\n\n{\"body\":\"x\"}\n"));
    assertTrue(missing.getMessage().contains("line 3") && missing.getMessage().contains("\"text\""),
        missing.getMessage());

    assertThrows(IllegalArgumentException.class, () -> read("\n\n"));
  }

  @Test
  void missingResourceGivesAClearError() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> LocalGenerator.fromResource("dpsynth/no-such-corpus.jsonl"));
    assertTrue(e.getMessage().contains("dpsynth/no-such-corpus.jsonl"), e.getMessage());
    assertEquals("dpsynth/public-corpus.jsonl", LocalGenerator.CORPUS_RESOURCE);
  }
}
