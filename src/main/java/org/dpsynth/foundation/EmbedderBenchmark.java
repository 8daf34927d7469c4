package org.dpsynth.foundation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Throughput of {@link MiniLmEmbedder} against langchain4j's {@code AllMiniLmL6V2EmbeddingModel}
 * used as documented ({@code embedAll}), on the same texts in the same JVM.
 *
 * <p>Usage: {@code EmbedderBenchmark [--jsonl FILE [--field text]] [--texts N]}. Without {@code
 * --jsonl} it embeds N (default 2000) PE-sample-sized texts (15–90 words) drawn from a fixed word
 * list with a fixed seed. Prints texts/s per configuration, then {@code
 * embed_speedup_vs_default=<best ours / default>}.
 */
public final class EmbedderBenchmark {

  private static final String[] WORDS = {
    "the", "a", "service", "was", "friendly", "and", "food", "arrived", "quickly", "but", "price",
    "seemed", "high", "for", "portion", "we", "ordered", "pasta", "salad", "dessert", "staff",
    "recommended", "wine", "which", "paired", "well", "with", "fish", "room", "noisy", "on",
    "saturday", "night", "parking", "easy", "would", "come", "back", "again", "hotel", "clean",
    "breakfast", "included", "coffee", "excellent", "location", "near", "station", "museum",
    "delivery", "late", "package", "damaged", "refund", "processed", "within", "three", "days",
    "battery", "lasts", "long", "screen", "bright", "camera", "disappointing", "in", "low",
    "light", "movie", "plot", "predictable", "acting", "strong", "soundtrack", "memorable",
    "book", "chapters", "slow", "ending", "surprising", "author", "writes", "clearly", "about",
    "history", "science", "children", "loved", "it", "not", "very", "really", "quite", "too",
    "overall", "great", "terrible", "average", "experience", "definitely", "never", "always"
  };

  private EmbedderBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path jsonl = null;
    String field = "text";
    int n = 2000;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--jsonl" -> jsonl = Path.of(args[++i]);
        case "--field" -> field = args[++i];
        case "--texts" -> n = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException(
            "unknown argument " + args[i] + "; usage: [--jsonl FILE [--field text]] [--texts N]");
      }
    }
    List<String> texts = jsonl == null ? generated(n) : readJsonl(jsonl, field, n);

    MiniLmEmbedder one = MiniLmEmbedder.shared(1);
    long pieces = 0;
    for (String t : texts) {
      pieces += one.tokenizer().tokenize(t).size();
    }
    System.out.printf(
        "texts=%d mean_word_pieces=%.1f cores=%d%n",
        texts.size(), (double) pieces / texts.size(), Runtime.getRuntime().availableProcessors());

    AllMiniLmL6V2EmbeddingModel reference = new AllMiniLmL6V2EmbeddingModel();
    double base =
        measure(
            "langchain4j AllMiniLmL6V2 embedAll",
            texts,
            part -> reference.embedAll(part.stream().map(TextSegment::from).toList()));

    double best = 0;
    String bestName = "";
    for (int threads : new int[] {1, 2}) {
      MiniLmEmbedder model = MiniLmEmbedder.shared(threads);
      for (int batch : new int[] {1, 16, 32, 64}) {
        MiniLmEmbedder e = model.withBatchSize(batch);
        String name = "minilm threads=" + threads + " batch=" + batch;
        double rate = measure(name, texts, e::embed);
        if (rate > best) {
          best = rate;
          bestName = name;
        }
      }
    }
    System.out.printf("best: %s%n", bestName);
    System.out.printf("embed_speedup_vs_default=%.2f%n", best / base);
  }

  /** One warm-up pass on a slice, then one timed pass over all texts. */
  private static double measure(String name, List<String> texts, Consumer<List<String>> embed) {
    // Warm-up pays for JIT and ONNX Runtime's first-run allocations outside the timed pass.
    embed.accept(texts.subList(0, Math.min(200, texts.size())));
    long start = System.nanoTime();
    embed.accept(texts);
    double seconds = (System.nanoTime() - start) / 1e9;
    double rate = texts.size() / seconds;
    System.out.printf("%-40s %8.1f texts/s  (%.2f s)%n", name, rate, seconds);
    return rate;
  }

  private static List<String> generated(int n) {
    SplittableRandom rnd = new SplittableRandom(20240531L);
    List<String> texts = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int len = 15 + rnd.nextInt(76);
      StringBuilder sb = new StringBuilder();
      for (int w = 0; w < len; w++) {
        String word = WORDS[rnd.nextInt(WORDS.length)];
        sb.append(w == 0 ? Character.toUpperCase(word.charAt(0)) + word.substring(1) : word);
        sb.append(rnd.nextInt(9) == 0 ? ". " : rnd.nextInt(12) == 0 ? ", " : " ");
      }
      texts.add(sb.toString().trim());
    }
    return texts;
  }

  private static List<String> readJsonl(Path file, String field, int max) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    List<String> texts = new ArrayList<>();
    List<String> lines = Files.readAllLines(file);
    for (int row = 0; row < lines.size() && texts.size() < max; row++) {
      if (lines.get(row).isBlank()) {
        continue;
      }
      JsonNode node = mapper.readTree(lines.get(row));
      JsonNode value = node.get(field);
      if (value == null || !value.isTextual()) {
        throw new IllegalArgumentException(
            file + " row " + (row + 1) + ": field '" + field + "' missing or not a string");
      }
      texts.add(value.asText());
    }
    return texts;
  }
}
