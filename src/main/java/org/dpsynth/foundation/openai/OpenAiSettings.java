package org.dpsynth.foundation.openai;

import java.io.Serializable;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * How to reach one OpenAI-compatible endpoint (OpenAI, Azure OpenAI v1, vLLM, Ollama, llama.cpp
 * server) and how to use it. Holds the <em>name</em> of the environment variable with the API key,
 * never the key itself, so this record is safe to print and to put in a run manifest. It is {@link
 * Serializable} (paths travel as strings) so Spark closures can carry it to executors.
 *
 * @param baseUrl API root including the version segment, e.g. {@code http://127.0.0.1:8080/v1}
 * @param model model (or deployment) name sent in every request and part of every cache key
 * @param apiKeyEnv name of the environment variable holding the key; {@code null} for local servers
 *     without authentication (an unset or blank variable also means "no key")
 * @param maxConcurrency requests in flight at once through one {@link OpenAiClient}; share one
 *     client per executor JVM so this is the per-JVM bound
 * @param maxAttempts attempts per request, including the first
 * @param requestTimeout bound on one HTTP exchange (connect, send, full response)
 * @param initialBackoff backoff cap before the second attempt; doubles per attempt (full jitter)
 * @param maxBackoff largest backoff cap; a server's {@code Retry-After} may ask for longer
 * @param batchSize texts per embeddings request
 * @param cacheDir directory of the response cache (a Hadoop URI or a local path; executors write
 *     to it), or {@code null} for none; for prompts that contain private text it must lie in the
 *     run's {@code private/} area
 * @param temperature sampling temperature for generation, in [0, 2]
 * @param maxTokens {@code max_tokens} for generated texts
 * @param promptTemplatesDir directory overriding some or all built-in prompt files, or {@code null}
 *     for the built-in ones (classpath {@code dpsynth/prompts/})
 * @param targetWords mean length asked for by the random prompt; each sample draws a length
 *     uniformly in [0.5, 1.5] times this
 * @param embeddingDimensions {@code dimensions} sent to the embeddings API, or 0 for the model's
 *     native dimension (then discovered by one probe request)
 * @param embeddingMaxChars inputs longer than this are cut before embedding and counted as
 *     truncated
 * @param logprobsApi which endpoint {@code topTokens} uses: legacy completions or chat
 * @param maxTopLogprobs the most top log-probabilities one request may ask for (servers cap it:
 *     OpenAI chat {@code top_logprobs} 20, OpenAI legacy completions {@code logprobs} 5, vLLM's
 *     {@code --max-logprobs} 20 by default); {@code topTokens} never asks for more
 */
public record OpenAiSettings(
    String baseUrl,
    String model,
    String apiKeyEnv,
    int maxConcurrency,
    int maxAttempts,
    Duration requestTimeout,
    Duration initialBackoff,
    Duration maxBackoff,
    int batchSize,
    String cacheDir,
    double temperature,
    int maxTokens,
    Path promptTemplatesDir,
    int targetWords,
    int embeddingDimensions,
    int embeddingMaxChars,
    LogprobsApi logprobsApi,
    int maxTopLogprobs)
    implements Serializable {

  private static final long serialVersionUID = 1L;

  /** Endpoint used for next-token distributions. */
  public enum LogprobsApi {
    /** {@code POST /completions} with {@code logprobs=k}: the raw prompt, no chat template. */
    COMPLETIONS,
    /** {@code POST /chat/completions} with {@code logprobs=true, top_logprobs=k}. */
    CHAT
  }

  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

  public OpenAiSettings {
    baseUrl = checkBaseUrl(baseUrl);
    if (model == null || model.isBlank()) {
      throw new IllegalArgumentException("model: must be a non-blank model name");
    }
    if (apiKeyEnv != null && !ENV_NAME.matcher(apiKeyEnv).matches()) {
      // Never echo the value: a common mistake is pasting the key itself here.
      throw new IllegalArgumentException(
          "apiKeyEnv: must be the NAME of an environment variable ([A-Za-z_][A-Za-z0-9_]*), not"
              + " the key itself; the given value is not a variable name and is not shown");
    }
    atLeast("maxConcurrency", maxConcurrency, 1);
    atLeast("maxAttempts", maxAttempts, 1);
    positive("requestTimeout", requestTimeout);
    positive("initialBackoff", initialBackoff);
    positive("maxBackoff", maxBackoff);
    if (initialBackoff.compareTo(maxBackoff) > 0) {
      throw new IllegalArgumentException(
          "initialBackoff: must not exceed maxBackoff (" + maxBackoff + "), got " + initialBackoff);
    }
    atLeast("batchSize", batchSize, 1);
    if (batchSize > 2048) {
      throw new IllegalArgumentException(
          "batchSize: at most 2048 inputs per embeddings request, got " + batchSize);
    }
    if (!(temperature >= 0 && temperature <= 2)) {
      throw new IllegalArgumentException("temperature: must be in [0, 2], got " + temperature);
    }
    atLeast("maxTokens", maxTokens, 1);
    atLeast("targetWords", targetWords, 1);
    atLeast("embeddingDimensions", embeddingDimensions, 0);
    atLeast("embeddingMaxChars", embeddingMaxChars, 1);
    Objects.requireNonNull(logprobsApi, "logprobsApi: must be COMPLETIONS or CHAT");
    atLeast("maxTopLogprobs", maxTopLogprobs, 1);
  }

  /** Defaults suitable for a hosted API; change what you need with {@link #toBuilder()}. */
  public static Builder builder(String baseUrl, String model) {
    return new Builder(baseUrl, model);
  }

  public Builder toBuilder() {
    return new Builder(this);
  }

  private static String checkBaseUrl(String baseUrl) {
    if (baseUrl == null || baseUrl.isBlank()) {
      throw new IllegalArgumentException(
          "baseUrl: required, e.g. http://127.0.0.1:8080/v1 or https://api.openai.com/v1");
    }
    URI uri;
    try {
      uri = new URI(baseUrl.strip());
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("baseUrl: not a valid URI (" + e.getReason() + ")");
    }
    String scheme = uri.getScheme();
    if (!"http".equalsIgnoreCase(scheme) && !"https".equalsIgnoreCase(scheme)) {
      throw new IllegalArgumentException("baseUrl: scheme must be http or https, got " + scheme);
    }
    if (uri.getHost() == null) {
      throw new IllegalArgumentException("baseUrl: has no host");
    }
    if (uri.getRawUserInfo() != null) {
      // Not echoed: user info is a credential.
      throw new IllegalArgumentException(
          "baseUrl: must not contain user:password@; put the key in the variable named by"
              + " apiKeyEnv");
    }
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "baseUrl: must not have a query or fragment; endpoint paths are appended to it");
    }
    String s = uri.toString();
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }

  private static void atLeast(String field, int value, int min) {
    if (value < min) {
      throw new IllegalArgumentException(field + ": must be at least " + min + ", got " + value);
    }
  }

  private static void positive(String field, Duration d) {
    if (d == null || d.isNegative() || d.isZero()) {
      throw new IllegalArgumentException(field + ": must be a positive duration, got " + d);
    }
  }

  /** {@link Path} is not serialisable; this proxy carries the paths as strings. */
  private Object writeReplace() {
    return new SerialForm(this);
  }

  private static final class SerialForm implements Serializable {
    private static final long serialVersionUID = 1L;
    private final String baseUrl;
    private final String model;
    private final String apiKeyEnv;
    private final int maxConcurrency;
    private final int maxAttempts;
    private final Duration requestTimeout;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final int batchSize;
    private final String cacheDir;
    private final double temperature;
    private final int maxTokens;
    private final String promptTemplatesDir;
    private final int targetWords;
    private final int embeddingDimensions;
    private final int embeddingMaxChars;
    private final LogprobsApi logprobsApi;
    private final int maxTopLogprobs;

    SerialForm(OpenAiSettings s) {
      baseUrl = s.baseUrl;
      model = s.model;
      apiKeyEnv = s.apiKeyEnv;
      maxConcurrency = s.maxConcurrency;
      maxAttempts = s.maxAttempts;
      requestTimeout = s.requestTimeout;
      initialBackoff = s.initialBackoff;
      maxBackoff = s.maxBackoff;
      batchSize = s.batchSize;
      cacheDir = s.cacheDir;
      temperature = s.temperature;
      maxTokens = s.maxTokens;
      promptTemplatesDir = s.promptTemplatesDir == null ? null : s.promptTemplatesDir.toString();
      targetWords = s.targetWords;
      embeddingDimensions = s.embeddingDimensions;
      embeddingMaxChars = s.embeddingMaxChars;
      logprobsApi = s.logprobsApi;
      maxTopLogprobs = s.maxTopLogprobs;
    }

    private Object readResolve() {
      return new OpenAiSettings(
          baseUrl,
          model,
          apiKeyEnv,
          maxConcurrency,
          maxAttempts,
          requestTimeout,
          initialBackoff,
          maxBackoff,
          batchSize,
          cacheDir,
          temperature,
          maxTokens,
          promptTemplatesDir == null ? null : Path.of(promptTemplatesDir),
          targetWords,
          embeddingDimensions,
          embeddingMaxChars,
          logprobsApi,
          maxTopLogprobs);
    }
  }

  /** Mutable builder; {@link #build()} validates. */
  public static final class Builder {
    private String baseUrl;
    private String model;
    private String apiKeyEnv;
    private int maxConcurrency = 8;
    private int maxAttempts = 6;
    private Duration requestTimeout = Duration.ofSeconds(120);
    private Duration initialBackoff = Duration.ofMillis(500);
    private Duration maxBackoff = Duration.ofSeconds(30);
    private int batchSize = 64;
    private String cacheDir;
    private double temperature = 1.0;
    private int maxTokens = 256;
    private Path promptTemplatesDir;
    private int targetWords = 50;
    private int embeddingDimensions;
    private int embeddingMaxChars = 16_000;
    private LogprobsApi logprobsApi = LogprobsApi.COMPLETIONS;
    private int maxTopLogprobs = 20;

    private Builder(String baseUrl, String model) {
      this.baseUrl = baseUrl;
      this.model = model;
    }

    private Builder(OpenAiSettings s) {
      baseUrl = s.baseUrl;
      model = s.model;
      apiKeyEnv = s.apiKeyEnv;
      maxConcurrency = s.maxConcurrency;
      maxAttempts = s.maxAttempts;
      requestTimeout = s.requestTimeout;
      initialBackoff = s.initialBackoff;
      maxBackoff = s.maxBackoff;
      batchSize = s.batchSize;
      cacheDir = s.cacheDir;
      temperature = s.temperature;
      maxTokens = s.maxTokens;
      promptTemplatesDir = s.promptTemplatesDir;
      targetWords = s.targetWords;
      embeddingDimensions = s.embeddingDimensions;
      embeddingMaxChars = s.embeddingMaxChars;
      logprobsApi = s.logprobsApi;
      maxTopLogprobs = s.maxTopLogprobs;
    }

    public Builder baseUrl(String v) {
      baseUrl = v;
      return this;
    }

    public Builder model(String v) {
      model = v;
      return this;
    }

    public Builder apiKeyEnv(String v) {
      apiKeyEnv = v;
      return this;
    }

    public Builder maxConcurrency(int v) {
      maxConcurrency = v;
      return this;
    }

    public Builder maxAttempts(int v) {
      maxAttempts = v;
      return this;
    }

    public Builder requestTimeout(Duration v) {
      requestTimeout = v;
      return this;
    }

    public Builder initialBackoff(Duration v) {
      initialBackoff = v;
      return this;
    }

    public Builder maxBackoff(Duration v) {
      maxBackoff = v;
      return this;
    }

    public Builder batchSize(int v) {
      batchSize = v;
      return this;
    }

    public Builder cacheDir(Path v) {
      return cacheDir(v == null ? null : v.toAbsolutePath().toUri().toString());
    }

    /** The response cache at a Hadoop URI (hdfs://…, file:/…) or a bare path. */
    public Builder cacheDir(String v) {
      cacheDir = v;
      return this;
    }

    public Builder temperature(double v) {
      temperature = v;
      return this;
    }

    public Builder maxTokens(int v) {
      maxTokens = v;
      return this;
    }

    public Builder promptTemplatesDir(Path v) {
      promptTemplatesDir = v;
      return this;
    }

    public Builder targetWords(int v) {
      targetWords = v;
      return this;
    }

    public Builder embeddingDimensions(int v) {
      embeddingDimensions = v;
      return this;
    }

    public Builder embeddingMaxChars(int v) {
      embeddingMaxChars = v;
      return this;
    }

    public Builder logprobsApi(LogprobsApi v) {
      logprobsApi = v;
      return this;
    }

    public Builder maxTopLogprobs(int v) {
      maxTopLogprobs = v;
      return this;
    }

    public OpenAiSettings build() {
      return new OpenAiSettings(
          baseUrl,
          model,
          apiKeyEnv,
          maxConcurrency,
          maxAttempts,
          requestTimeout,
          initialBackoff,
          maxBackoff,
          batchSize,
          cacheDir,
          temperature,
          maxTokens,
          promptTemplatesDir,
          targetWords,
          embeddingDimensions,
          embeddingMaxChars,
          logprobsApi,
          maxTopLogprobs);
    }
  }
}
