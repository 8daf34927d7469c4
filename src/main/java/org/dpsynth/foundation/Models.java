package org.dpsynth.foundation;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.dpsynth.config.JobConfig;
import org.dpsynth.foundation.local.LocalGenerator;
import org.dpsynth.foundation.openai.OpenAiEmbedder;
import org.dpsynth.foundation.openai.OpenAiGenerator;
import org.dpsynth.foundation.openai.OpenAiSettings;

/**
 * Per-JVM model holders: Spark tasks on one executor share one embedder and one generator per
 * configuration, so a native model is loaded once per executor JVM, not once per task.
 */
public final class Models {
  private static final Map<Object, Embedder> EMBEDDERS = new ConcurrentHashMap<>();
  private static final Map<Object, Generator> GENERATORS = new ConcurrentHashMap<>();

  private Models() {}

  /**
   * The embedder for {@code cfg} in this JVM.
   *
   * @param cacheDir where an API adapter caches responses (the run's private area), or null
   */
  public static Embedder embedder(JobConfig.Embedder cfg, String cacheDir) {
    return EMBEDDERS.computeIfAbsent(java.util.List.of(cfg, String.valueOf(cacheDir)), k -> switch (cfg.type()) {
      case "minilm" -> MiniLmEmbedder.shared(cfg.threads(), cfg.quantized()).withBatchSize(cfg.batchSize());
      case "openai" -> new OpenAiEmbedder(settings(cfg.baseUrl(), cfg.model(), cfg.apiKeyEnv(), cacheDir,
          cfg.maxConcurrency(), cfg.maxAttempts(), cfg.timeoutSeconds()).batchSize(cfg.batchSize()).build());
      default -> throw new IllegalArgumentException("embedder.type: expected minilm or openai, got " + cfg.type());
    });
  }

  /** The generator for {@code cfg} in this JVM. */
  public static Generator generator(JobConfig.Generator cfg, String cacheDir) {
    return GENERATORS.computeIfAbsent(java.util.List.of(cfg, String.valueOf(cacheDir)), k -> switch (cfg.type()) {
      case "local" -> cfg.keywords() == null || cfg.keywords().isEmpty()
          ? LocalGenerator.shared() : LocalGenerator.shared().withLabelKeywords(cfg.keywords());
      case "openai" -> {
        OpenAiSettings.Builder b = settings(cfg.baseUrl(), cfg.model(), cfg.apiKeyEnv(), cacheDir,
            cfg.maxConcurrency(), cfg.maxAttempts(), cfg.timeoutSeconds())
            .temperature(cfg.temperature()).maxTokens(cfg.maxTokens());
        if (cfg.promptTemplatesDir() != null && !cfg.promptTemplatesDir().isBlank()) {
          b.promptTemplatesDir(Path.of(cfg.promptTemplatesDir()));
        }
        yield new OpenAiGenerator(b.build());
      }
      default -> throw new IllegalArgumentException("generator.type: expected local or openai, got " + cfg.type());
    });
  }

  private static OpenAiSettings.Builder settings(String baseUrl, String model, String apiKeyEnv, String cacheDir,
      int maxConcurrency, int maxAttempts, double timeoutSeconds) {
    OpenAiSettings.Builder b = OpenAiSettings.builder(baseUrl, model)
        .maxConcurrency(maxConcurrency)
        .maxAttempts(maxAttempts)
        .requestTimeout(java.time.Duration.ofMillis(Math.round(timeoutSeconds * 1000)));
    if (apiKeyEnv != null && !apiKeyEnv.isBlank()) {
      b.apiKeyEnv(apiKeyEnv);
    }
    if (cacheDir != null && !cacheDir.equals("null")) {
      b.cacheDir(cacheDir);
    }
    return b;
  }
}
