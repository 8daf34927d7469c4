package org.dpsynth.foundation.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A real-English public corpus for tests: Debian's fortune files when installed (the same kind of
 * text the shipped corpus holds), else a small hand-written corpus. Goes through the JSONL loader.
 */
final class TestCorpus {
  static final Path FORTUNES = Path.of("/usr/share/games/fortunes");
  private static final Pattern RECORD_SEPARATOR = Pattern.compile("\\n%\\n");

  private static List<String> texts;
  private static LocalGenerator generator;

  private TestCorpus() {}

  static synchronized List<String> texts() {
    if (texts == null) {
      List<String> raw =
          Files.isDirectory(FORTUNES) && !Boolean.getBoolean("dpsynth.test.noFortunes")
              ? fortunes()
              : List.of(FALLBACK.split("\n"));
      texts = PublicCorpus.readJsonl(new ByteArrayInputStream(toJsonl(raw)), "test corpus");
    }
    return texts;
  }

  static synchronized LocalGenerator generator() {
    if (generator == null) {
      generator = LocalGenerator.fromTexts(texts());
    }
    return generator;
  }

  static boolean usingFortunes() {
    return texts().size() > 1000;
  }

  private static List<String> fortunes() {
    List<String> out = new ArrayList<>();
    try (Stream<Path> files = Files.list(FORTUNES)) {
      for (Path f : files.sorted().toList()) {
        String name = f.getFileName().toString();
        if (name.contains(".") || !Files.isRegularFile(f)) {
          continue;
        }
        String body = new String(Files.readAllBytes(f), StandardCharsets.UTF_8);
        for (String rec : RECORD_SEPARATOR.split(body)) {
          String t = rec.strip().replaceAll("\\s+", " ");
          if (t.length() >= 3) {
            out.add(t);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  private static byte[] toJsonl(List<String> raw) {
    ObjectMapper json = new ObjectMapper();
    StringBuilder sb = new StringBuilder();
    for (String t : raw) {
      ObjectNode node = json.createObjectNode();
      node.put("text", t);
      node.put("source", "test");
      sb.append(node).append('\n');
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  /** Used only where the fortunes package is not installed; written for these tests. */
  private static final String FALLBACK =
      """
      The cat sat on the mat and watched the birds in the garden.
      My cat likes to sleep in the sun by the kitchen window.
      A dog is a loyal friend, and a cat is an independent one.
      The old dog barked at the postman every morning.
      Love is patient, love is kind, and love never gives up.
      I love you more than words can say, she wrote in her letter.
      They fell in love in the spring and were married in the autumn.
      Computers are fast, but they only do what you tell them to do.
      The computer crashed again, so I lost the whole report.
      Programmers spend more time reading code than writing it.
      A good program is easy to read and hard to break.
      The kitchen smelled of fresh bread and strong coffee.
      We ate soup, bread and cheese for dinner last night.
      Good food and good friends make a happy evening.
      The weather was cold, so we stayed inside and read books.
      Reading a good book is like talking with a wise friend.
      Science asks questions, and experiments give the answers.
      The scientist wrote down every result in a small notebook.
      Politics is the art of the possible, said the old senator.
      The election was close, and the votes were counted twice.
      Work hard, rest well, and do not forget to laugh.
      The office was quiet on Friday afternoon.
      She walked to work along the river every day.
      The children played in the park until it was dark.
      It was a dark and stormy night, and the wind howled.
      The sun rose over the hills and the birds began to sing.
      He who laughs last thinks slowest.
      Time flies like an arrow; fruit flies like a banana.
      Never trust a computer you cannot throw out of a window.
      The best way to predict the future is to invent it.
      A cat has nine lives, but a dog has only one.
      Music is the food of love, so play on.
      The train was late again, and everyone on the platform sighed.
      Every morning the baker opened his shop at six.
      The teacher asked the class to write a short story about a dog.
      In the garden there were roses, tulips and a small apple tree.
      The river flowed slowly past the old mill.
      Do not put off until tomorrow what you can do today.
      Knowledge is power, but enthusiasm pulls the switch.
      The cat and the dog slept together by the fire.
      """;
}
