package org.dpsynth.foundation;

import org.dpsynth.foundation.image.RandomConvEmbedder;
import org.dpsynth.foundation.image.SimulatedImageGenerator;
import org.dpsynth.foundation.minilm.MiniLmEmbedder;
import org.dpsynth.foundation.onnximage.OnnxImageEmbedder;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.SparkEnv;
import org.dpsynth.config.JobConfig;
import org.dpsynth.config.Modes;
import org.dpsynth.foundation.ngram.LocalGenerator;
import org.dpsynth.text.PublicCorpus;
import org.dpsynth.foundation.openai.OpenAiEmbedder;
import org.dpsynth.foundation.openai.OpenAiGenerator;
import org.dpsynth.foundation.openai.OpenAiImageGenerator;
import org.dpsynth.foundation.openai.OpenAiSettings;

/**
 * Per-JVM model holders: Spark tasks on one executor share one embedder and one generator per
 * configuration, so a native model is loaded once per executor JVM, not once per task.
 */
public final class Models {
  private static final Map<Object, Embedder> EMBEDDERS = new ConcurrentHashMap<>();
  private static final Map<Object, Generator> GENERATORS = new ConcurrentHashMap<>();
  /** Embedded generators built from a user's public corpus, shared by every config that names it. */
  private static final Map<PublicCorpus.Source, LocalGenerator> LOCAL_MODELS = new ConcurrentHashMap<>();

  /** Embedded image generators, one per public image prior and JVM. */
  private static final Map<PublicCorpus.Source, SimulatedImageGenerator> IMAGE_MODELS = new ConcurrentHashMap<>();

  /** User-supplied ONNX image models, one session per embedder configuration and JVM (whatever the run directory). */
  private static final Map<JobConfig.Embedder, OnnxImageEmbedder> ONNX_IMAGES = new ConcurrentHashMap<>();

  private Models() {}

  /** Where {@code cfg}'s public images are: {@code generator.public_corpus} with its image column. */
  public static PublicCorpus.Source imageSource(JobConfig.Generator cfg) {
    return new PublicCorpus.Source(cfg.publicCorpus(), cfg.publicFormat(), cfg.publicImageColumn(), cfg.publicLabelColumn(), true);
  }

  /**
   * The embedder for {@code cfg} in this JVM.
   *
   * @param cacheDir where an API adapter caches responses (the run's private area), or null
   */
  public static Embedder embedder(JobConfig.Embedder cfg, String cacheDir) {
    return EMBEDDERS.computeIfAbsent(java.util.List.of(cfg, String.valueOf(cacheDir)), k -> switch (cfg.type()) {
      case MINILM -> MiniLmEmbedder.shared(cfg.threads(), cfg.quantized()).withBatchSize(cfg.batchSize());
      case RANDOM_CONV -> RandomConvEmbedder.shared();
      case ONNX_IMAGE -> ONNX_IMAGES.computeIfAbsent(cfg, c -> OnnxImageEmbedder.load(c.modelPath(), hadoopConfiguration(),
          OnnxImageEmbedder.Settings.of(c), c.threads(), c.batchSize()));
      case OPENAI -> new OpenAiEmbedder(settings(cfg.baseUrl(), cfg.model(), cfg.apiKeyEnv(), cacheDir,
          cfg.maxConcurrency(), cfg.maxAttempts(), cfg.timeoutSeconds()).batchSize(cfg.batchSize()).build());
      case LOCAL, IMAGE_SIM -> throw new IllegalArgumentException("embedder.type: expected minilm, openai, random-conv or onnx-image, got "
          + Modes.key(cfg.type()));
    });
  }

  /** The generator for {@code cfg} in this JVM, for text. */
  public static Generator generator(JobConfig.Generator cfg, String cacheDir) {
    return generator(cfg, null, cacheDir);
  }

  /**
   * The generator for {@code cfg} in this JVM; with {@code input.modality: image}, {@code openai}
   * is the images API generator producing {@code input.image_width × input.image_height} payloads.
   *
   * @param input the run's input settings, or null for text
   */
  public static Generator generator(JobConfig.Generator cfg, JobConfig.Input input, String cacheDir) {
    if (cfg.type() == JobConfig.ModelType.OPENAI && input != null && input.images()) {
      return GENERATORS.computeIfAbsent(java.util.List.of(cfg, input.imageWidth(), input.imageHeight(), String.valueOf(cacheDir)),
          k -> new OpenAiImageGenerator(settings(cfg.baseUrl(), cfg.model(), cfg.apiKeyEnv(), cacheDir,
              cfg.maxConcurrency(), cfg.maxAttempts(), cfg.timeoutSeconds()).build(),
              new OpenAiImageGenerator.Options(input.imageWidth(), input.imageHeight(),
                  OpenAiImageGenerator.ImageApi.valueOf(cfg.imageApi().name()), cfg.imageSize(), cfg.imagePrompt())));
    }
    return GENERATORS.computeIfAbsent(java.util.List.of(cfg, String.valueOf(cacheDir)), k -> switch (cfg.type()) {
      case LOCAL -> local(cfg);
      case IMAGE_SIM -> IMAGE_MODELS.computeIfAbsent(imageSource(cfg), s -> {
        PublicCorpus.Records r = PublicCorpus.read(s, hadoopConfiguration());
        return new SimulatedImageGenerator(r.texts(), r.labels());
      });
      case OPENAI -> {
        OpenAiSettings.Builder b = settings(cfg.baseUrl(), cfg.model(), cfg.apiKeyEnv(), cacheDir,
            cfg.maxConcurrency(), cfg.maxAttempts(), cfg.timeoutSeconds())
            .temperature(cfg.temperature()).maxTokens(cfg.maxTokens())
            .logprobsApi(OpenAiSettings.LogprobsApi.valueOf(cfg.logprobsApi().name())).maxTopLogprobs(cfg.maxTopLogprobs());
        if (cfg.promptTemplatesDir() != null && !cfg.promptTemplatesDir().isBlank()) {
          b.promptTemplatesDir(Path.of(cfg.promptTemplatesDir()));
        }
        yield new OpenAiGenerator(b.build());
      }
      case MINILM, RANDOM_CONV, ONNX_IMAGE -> throw new IllegalArgumentException("generator.type: expected local, openai or image-sim, got "
          + Modes.key(cfg.type()));
    });
  }

  /**
   * The embedded generator for {@code cfg}: built from {@code generator.public_corpus} (read by this
   * JVM through Hadoop's FileSystem, once per corpus and JVM) or the built-in corpus, with the
   * configured keywords and mode.
   */
  private static LocalGenerator local(JobConfig.Generator cfg) {
    LocalGenerator g = cfg.hasPublicCorpus()
        ? LOCAL_MODELS.computeIfAbsent(publicSource(cfg), s -> LocalGenerator.fromRecords(PublicCorpus.read(s, hadoopConfiguration())))
        : LocalGenerator.shared();
    if (cfg.keywords() != null && !cfg.keywords().isEmpty()) {
      g = g.withLabelKeywords(cfg.keywords());
    }
    if (cfg.mode() == JobConfig.Generator.Mode.PUBLIC) {
      g = g.withPublicMode(new LocalGenerator.PublicMode(cfg.publicShare(), cfg.publicNeighbours()));
    }
    return g;
  }

  /** Where {@code cfg}'s public corpus is and how to read it. */
  public static PublicCorpus.Source publicSource(JobConfig.Generator cfg) {
    return new PublicCorpus.Source(cfg.publicCorpus(), cfg.publicFormat(), cfg.publicTextColumn(),
        cfg.publicLabelColumn());
  }

  /**
   * The Hadoop configuration this JVM reads public files with: Hadoop's defaults (core-site.xml on
   * the class path) plus the job's {@code spark.hadoop.*} settings when a Spark environment exists,
   * which is what Spark gives its own readers on the driver and on executors alike.
   */
  static Configuration hadoopConfiguration() {
    Configuration conf = new Configuration();
    SparkEnv env = SparkEnv.get();
    if (env != null) {
      for (scala.Tuple2<String, String> kv : env.conf().getAll()) {
        if (kv._1().startsWith("spark.hadoop.")) {
          conf.set(kv._1().substring("spark.hadoop.".length()), kv._2());
        }
      }
    }
    return conf;
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
