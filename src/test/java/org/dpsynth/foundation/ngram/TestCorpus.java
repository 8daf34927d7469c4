package org.dpsynth.foundation.ngram;

import org.dpsynth.text.PublicCorpus;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The real-English public corpus the tests run the embedded generator on: the repository's own
 * {@code data-samples/public-corpus.jsonl} (the corpus the jar ships), read through the JSONL
 * loader. Nothing from the machine (system packages, home directory) is read, so every machine
 * runs the same assertions on the same text.
 */
final class TestCorpus {
  static final Path FILE = Path.of("data-samples/public-corpus.jsonl");

  private static List<String> texts;
  private static LocalGenerator generator;

  private TestCorpus() {}

  static synchronized List<String> texts() {
    if (texts == null) {
      if (!Files.isRegularFile(FILE)) {
        throw new IllegalStateException(FILE + " is missing: tests run from the repository root and read the shipped public corpus");
      }
      texts = PublicCorpus.readJsonl(FILE);
    }
    return texts;
  }

  static synchronized LocalGenerator generator() {
    if (generator == null) {
      generator = LocalGenerator.fromTexts(texts());
    }
    return generator;
  }
}
