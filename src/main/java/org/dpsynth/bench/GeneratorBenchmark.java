package org.dpsynth.bench;

import org.dpsynth.foundation.ngram.LocalGenerator;
import org.dpsynth.text.WordTokenizer;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Single-threaded throughput of the embedded generator: build time, then random() and
 * variation() texts per second after a warm-up.
 *
 * <p>Usage: {@code GeneratorBenchmark [corpus.jsonl]} (default: the classpath resource {@value
 * LocalGenerator#CORPUS_RESOURCE}).
 */
public final class GeneratorBenchmark {
  private GeneratorBenchmark() {}

  public static void main(String[] args) {
    long t0 = System.nanoTime();
    LocalGenerator gen =
        args.length > 0
            ? LocalGenerator.fromJsonl(Path.of(args[0]))
            : LocalGenerator.fromResource(LocalGenerator.CORPUS_RESOURCE);
    double buildS = (System.nanoTime() - t0) / 1e9;
    Runtime rt = Runtime.getRuntime();
    System.gc();
    long heapMb = (rt.totalMemory() - rt.freeMemory()) >> 20;
    System.out.println(gen.describe());
    System.out.printf(Locale.ROOT, "build: %.2f s, heap after build: %d MB%n", buildS, heapMb);

    String[] labels = {"love", "computers", "food", "science", "work", "politics"};
    // warm-up
    List<String> inputs = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      inputs.addAll(gen.random(labels[i % labels.length], 1, i));
    }
    for (int i = 0; i < 3; i++) {
      gen.variation(inputs, 0.3, i);
    }

    int n = 0;
    long words = 0;
    long start = System.nanoTime();
    while (System.nanoTime() - start < 3_000_000_000L) {
      for (String t : gen.random(labels[n % labels.length], 50, n)) {
        words += WordTokenizer.tokenize(t).size();
      }
      n += 50;
    }
    double s = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        Locale.ROOT, "random():    %8.0f texts/s  (%d texts, mean %.1f tokens)%n",
        n / s, n, words / (double) n);

    long inWords = 0;
    for (String t : inputs) {
      inWords += WordTokenizer.tokenize(t).size();
    }
    System.out.printf(
        Locale.ROOT, "variation inputs: %d texts, mean %.1f tokens%n",
        inputs.size(), inWords / (double) inputs.size());
    // baseline in the same run (machine load varies): tokenise + detokenise the same inputs
    int b = 0;
    start = System.nanoTime();
    while (System.nanoTime() - start < 1_000_000_000L) {
      for (String t : inputs) {
        WordTokenizer.detokenize(WordTokenizer.tokenizeKeepingCase(t));
      }
      b += inputs.size();
    }
    double baseline = b / ((System.nanoTime() - start) / 1e9);
    System.out.printf(Locale.ROOT, "baseline tokenise+detokenise: %8.0f texts/s%n", baseline);
    for (double degree : new double[] {0.1, 0.3, 0.6, 0.9}) {
      int m = 0;
      start = System.nanoTime();
      while (System.nanoTime() - start < 2_000_000_000L) {
        gen.variation(inputs, degree, m);
        m += inputs.size();
      }
      s = (System.nanoTime() - start) / 1e9;
      System.out.printf(
          Locale.ROOT, "variation(degree=%.1f): %8.0f texts/s  (%d texts, %.3f x baseline)%n",
          degree, m / s, m, m / s / baseline);
    }
  }
}
