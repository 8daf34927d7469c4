package org.dpsynth.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.foundation.minilm.MiniLmEmbedder;

/**
 * Texts per second of the embedded embedder ({@link MiniLmEmbedder}) on the sample corpus's texts
 * against the packaged model's default usage, langchain4j's {@code
 * AllMiniLmL6V2EmbeddingModel().embedAll(...)}, in the same JVM. Configurations run interleaved in
 * rounds (default, ours, ours, …, default, ours, …) so load from other processes hits all alike;
 * each speed-up is the median over rounds of (ours / default of the same round).
 *
 * <p>"2 tasks" runs two caller threads on one shared single-threaded session, which is what two
 * Spark task slots of one executor do with {@code embedder.threads: 1}; "intra-op 2" is one caller
 * with a two-thread ONNX Runtime pool ({@code embedder.threads: 2}).
 *
 * <p>"DEFAULT" is the configuration a job gets when it sets no {@code embedder.*} key: threads,
 * batch size and quantisation read from the built-in {@code dpsynth/defaults.yaml}, run as two
 * task slots (Spark's {@code local[2]}) each embedding its half of the texts in one call, as a
 * partition does ({@link org.dpsynth.foundation.Embedder#PARTITION_WINDOW} texts per call). The
 * fp32 batch sizes of {@code --batch-sizes} are swept in the same rounds.
 *
 * <p>Quality: the int8 model's vectors are compared with the fp32 model's on the same texts (mean,
 * 1st percentile and lowest cosine).
 *
 * <p>Usage: {@code EmbeddingBenchmark [--jsonl FILE] [--texts N] [--rounds N] [--batch-sizes
 * 8,16,32,64]}. Prints a table, the cosine figures, {@code embed_speedup_fp32_vs_default=…} (best
 * fp32 row), {@code embed_speedup_int8_vs_default=…} (best int8 row) and, last, {@code
 * embed_speedup_vs_default=…}: the DEFAULT row only.
 */
public final class EmbeddingBenchmark {
  private EmbeddingBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path jsonl = Path.of("data-samples/fortunes-private.jsonl");
    int n = 600;
    int rounds = 3;
    int[] sweep = {8, 16, 32, 64};
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--jsonl" -> jsonl = Path.of(args[++i]);
        case "--texts" -> n = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--batch-sizes" -> sweep = java.util.Arrays.stream(args[++i].split(",")).mapToInt(Integer::parseInt).toArray();
        default -> throw new IllegalArgumentException(
            "unknown argument " + args[i] + "; usage: [--jsonl FILE] [--texts N] [--rounds N] [--batch-sizes 8,16,32,64]");
      }
    }
    List<String> texts = readTexts(jsonl, n);
    long pieces = 0;
    for (String t : texts) {
      pieces += MiniLmEmbedder.shared(1).tokenizer().tokenize(t).size();
    }
    System.out.printf(Locale.ROOT, "texts=%d from %s, mean word pieces %.1f; cores=%d; load average at start=%s%n",
        texts.size(), jsonl, (double) pieces / texts.size(), Runtime.getRuntime().availableProcessors(),
        VoteKernelBenchmark.loadAverage());

    // The default configuration exactly as a job gets it: the built-in defaults file, run like
    // Spark's local[2] does, two task slots each embedding its partition through one shared model.
    JobConfig.Embedder dflt = ConfigLoader.load(JobConfig.class, "dpsynth/defaults.yaml", null, List.of()).embedder();
    String defaultName = String.format(Locale.ROOT, "DEFAULT: %s, 2 tasks x %d thread, batch %d",
        dflt.quantized() ? "int8" : "fp32", dflt.threads(), dflt.batchSize());
    MiniLmEmbedder dfltEmbedder = MiniLmEmbedder.shared(dflt.threads(), dflt.quantized()).withBatchSize(dflt.batchSize());

    AllMiniLmL6V2EmbeddingModel reference = new AllMiniLmL6V2EmbeddingModel();
    ExecutorService callers = Executors.newFixedThreadPool(2);
    Map<String, Consumer<List<String>>> configs = new LinkedHashMap<>();
    configs.put("langchain4j default embedAll", part -> reference.embedAll(part.stream().map(TextSegment::from).toList()));
    configs.put(defaultName, part -> inTwoTasks(callers, part, dfltEmbedder));
    MiniLmEmbedder fp1 = MiniLmEmbedder.shared(1).withBatchSize(32);
    MiniLmEmbedder fp2 = MiniLmEmbedder.shared(2).withBatchSize(32);
    MiniLmEmbedder q1 = MiniLmEmbedder.shared(1, true).withBatchSize(32);
    MiniLmEmbedder q2 = MiniLmEmbedder.shared(2, true);
    configs.put("minilm fp32 1 thread, batch 32", fp1::embed);
    configs.put("minilm fp32 intra-op 2, batch 32", fp2::embed);
    for (int b : sweep) {
      MiniLmEmbedder e = MiniLmEmbedder.shared(1).withBatchSize(b);
      configs.put("minilm fp32 2 tasks x 1 thread, batch " + b, part -> inTwoTasks(callers, part, e));
    }
    configs.put("minilm int8 1 thread (one text per call)", q1::embed);
    configs.put("minilm int8 intra-op 2", q2::embed);
    configs.put("minilm int8 2 tasks x 1 thread", part -> inTwoTasks(callers, part, q1));

    // Quality of the int8 vectors against fp32 on exactly the benchmark texts.
    float[][] exact = fp1.embed(texts).vectors();
    float[][] quant = q1.embed(texts).vectors();
    double[] cos = new double[texts.size()];
    for (int i = 0; i < cos.length; i++) {
      double c = 0;
      for (int d = 0; d < exact[i].length; d++) {
        c += (double) exact[i][d] * quant[i][d];
      }
      cos[i] = c;
    }
    double meanCos = java.util.Arrays.stream(cos).average().orElse(Double.NaN);
    java.util.Arrays.sort(cos);

    for (Consumer<List<String>> c : configs.values()) {
      c.accept(texts.subList(0, Math.min(64, texts.size()))); // JIT, ONNX Runtime arenas
    }
    Map<String, List<Double>> rates = new LinkedHashMap<>();
    Map<String, List<Double>> speedups = new LinkedHashMap<>();
    for (int r = 0; r < rounds; r++) {
      double base = 0;
      for (Map.Entry<String, Consumer<List<String>>> c : configs.entrySet()) {
        long t0 = System.nanoTime();
        c.getValue().accept(texts);
        double rate = texts.size() / ((System.nanoTime() - t0) / 1e9);
        if (base == 0) {
          base = rate;
        }
        rates.computeIfAbsent(c.getKey(), x -> new ArrayList<>()).add(rate);
        speedups.computeIfAbsent(c.getKey(), x -> new ArrayList<>()).add(rate / base);
      }
    }
    callers.shutdown();
    System.out.println();
    System.out.printf("%-44s %9s %9s %9s %9s%n", "texts/s", "median", "min", "max", "vs dflt");
    String bestFp32 = null;
    String bestInt8 = null;
    for (String name : configs.keySet()) {
      List<Double> v = rates.get(name);
      double sp = VoteKernelBenchmark.median(speedups.get(name));
      System.out.printf(Locale.ROOT, "%-44s %9.1f %9.1f %9.1f %9.2f%n", name, VoteKernelBenchmark.median(v),
          VoteKernelBenchmark.min(v), VoteKernelBenchmark.max(v), sp);
      if (name.startsWith("minilm fp32") && (bestFp32 == null || sp > VoteKernelBenchmark.median(speedups.get(bestFp32)))) {
        bestFp32 = name;
      }
      if (name.startsWith("minilm int8") && (bestInt8 == null || sp > VoteKernelBenchmark.median(speedups.get(bestInt8)))) {
        bestInt8 = name;
      }
    }
    System.out.printf(Locale.ROOT, "rounds=%d, load average at end=%s; best fp32: %s; best int8: %s%n", rounds,
        VoteKernelBenchmark.loadAverage(), bestFp32, bestInt8);
    System.out.printf(Locale.ROOT, "int8 vs fp32 cosine over %d texts: mean %.4f, 1st percentile %.4f, lowest %.4f; "
        + "%d below 0.99%n", cos.length, meanCos, cos[cos.length / 100], cos[0],
        java.util.Arrays.stream(cos).filter(c -> c < 0.99).count());
    double fp32Speedup = VoteKernelBenchmark.median(speedups.get(bestFp32));
    double int8Speedup = VoteKernelBenchmark.median(speedups.get(bestInt8));
    System.out.printf(Locale.ROOT, "embed_int8_cosine_mean=%.4f%n", meanCos);
    System.out.printf(Locale.ROOT, "embed_int8_cosine_min=%.4f%n", cos[0]);
    System.out.printf(Locale.ROOT, "embed_speedup_fp32_vs_default=%.2f%n", fp32Speedup);
    System.out.printf(Locale.ROOT, "embed_speedup_int8_vs_default=%.2f%n", int8Speedup);
    // The claim: the configuration a job gets when embedder.* is not set, nothing else.
    System.out.printf(Locale.ROOT, "embed_default_configuration=%s%n", defaultName.substring("DEFAULT: ".length()));
    System.out.printf(Locale.ROOT, "embed_speedup_vs_default=%.2f%n", VoteKernelBenchmark.median(speedups.get(defaultName)));
  }

  /** Two callers on one shared model, each embedding half of the texts: two Spark task slots. */
  private static void inTwoTasks(ExecutorService pool, List<String> texts, MiniLmEmbedder e) {
    int half = texts.size() / 2;
    try {
      Future<?> a = pool.submit(() -> e.embed(texts.subList(0, half)));
      Future<?> b = pool.submit(() -> e.embed(texts.subList(half, texts.size())));
      a.get();
      b.get();
    } catch (Exception ex) {
      throw new IllegalStateException("embedding task failed", ex);
    }
  }

  /** The first {@code max} {@code text} fields of a JSON Lines file (errors name the row, not the text). */
  private static List<String> readTexts(Path file, int max) throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    List<String> texts = new ArrayList<>();
    List<String> lines = Files.readAllLines(file);
    for (int row = 0; row < lines.size() && texts.size() < max; row++) {
      if (lines.get(row).isBlank()) {
        continue;
      }
      JsonNode value = mapper.readTree(lines.get(row)).get("text");
      if (value == null || !value.isTextual()) {
        throw new IllegalArgumentException(file + " row " + (row + 1) + ": field 'text' missing or not a string");
      }
      texts.add(value.asText());
    }
    return texts;
  }
}
