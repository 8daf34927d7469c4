package org.dpsynth.foundation.openai;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * A small client for OpenAI-compatible HTTP APIs ({@code /chat/completions}, {@code /completions},
 * {@code /embeddings}, and the images endpoints, whose edits and variations take multipart forms)
 * built on {@link java.net.http.HttpClient} and Jackson.
 *
 * <p>We deliberately do not use the official OpenAI Java SDK: it brings Kotlin and OkHttp and needs
 * a newer Jackson than the 2.18.2 that Spark 4.0.1 ships, and the cluster jar must share Spark's
 * Jackson. The JDK client plus Jackson covers the three endpoints we need.
 *
 * <p>Behaviour: at most {@code maxConcurrency} requests in flight per JVM and endpoint (all clients
 * with the same {@code baseUrl} and {@code maxConcurrency} share one semaphore); retries with
 * exponential backoff and full jitter ("Exponential Backoff and Jitter", AWS Architecture Blog,
 * 2015) on 408, 429, 5xx, timeouts, connection errors, malformed JSON and responses a {@link
 * ResponseParser} rejects, waiting at least the server's {@code Retry-After} (seconds or HTTP-date)
 * or {@code retry-after-ms}; at most {@code maxAttempts} attempts; other 4xx fail at once.
 * Exceptions name method, path, attempts and status only: never the request body (prompts contain
 * private text), never response text, never the API key. Successful parsed responses are cached by
 * request (see {@link #cacheKey}) when a cache directory is configured.
 */
public final class OpenAiClient implements AutoCloseable {

  public static final String CHAT_COMPLETIONS = "/chat/completions";
  public static final String COMPLETIONS = "/completions";
  public static final String EMBEDDINGS = "/embeddings";
  public static final String IMAGES_GENERATIONS = "/images/generations";
  public static final String IMAGES_EDITS = "/images/edits";
  public static final String IMAGES_VARIATIONS = "/images/variations";

  /** Turns a 2xx JSON body into a value, or throws {@link MalformedResponseException} to retry. */
  @FunctionalInterface
  public interface ResponseParser<T> {
    T parse(JsonNode response);
  }

  static final ObjectMapper JSON = new ObjectMapper();
  private static final ObjectMapper CANONICAL =
      JsonMapper.builder().enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS).build();
  private static final System.Logger LOG = System.getLogger(OpenAiClient.class.getName());

  /**
   * Upper bound on a server-requested wait, so a misbehaving server cannot stall a job for hours.
   */
  static final Duration MAX_RETRY_AFTER = Duration.ofMinutes(5);

  /**
   * Per-JVM request slots, shared by all clients with the same baseUrl and maxConcurrency (e.g. the
   * embedder's and the generator's client on one executor), so the bound holds per JVM.
   */
  private static final ConcurrentHashMap<String, Semaphore> ENDPOINT_PERMITS =
      new ConcurrentHashMap<>();

  private static final Pattern SAFE_TOKEN = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

  private final OpenAiSettings settings;
  private final ApiKey apiKey;
  private final HttpClient http;
  private final Semaphore permits;
  private final ResponseCache cache;
  private final ExecutorService workers;

  /** A client reading the API key from {@code System.getenv(settings.apiKeyEnv())}. */
  public OpenAiClient(OpenAiSettings settings) {
    this(settings, System::getenv);
  }

  /**
   * A client reading the API key through {@code env} (tests inject a map; production uses {@link
   * System#getenv(String)}).
   */
  public OpenAiClient(OpenAiSettings settings, Function<String, String> env) {
    this.settings = settings;
    String key = settings.apiKeyEnv() == null ? null : env.apply(settings.apiKeyEnv());
    this.apiKey = key == null || key.isBlank() ? null : new ApiKey(key.strip());
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(settings.requestTimeout())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();
    this.permits =
        ENDPOINT_PERMITS.computeIfAbsent(
            settings.baseUrl() + "#" + settings.maxConcurrency(),
            k -> new Semaphore(settings.maxConcurrency(), true));
    this.cache = settings.cacheDir() == null ? null : new ResponseCache(settings.cacheDir());
    AtomicInteger n = new AtomicInteger();
    this.workers =
        Executors.newFixedThreadPool(
            settings.maxConcurrency(),
            r -> {
              Thread t = new Thread(r, "dpsynth-openai-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  public OpenAiSettings settings() {
    return settings;
  }

  /** Whether a key was found in the configured environment variable (never the key itself). */
  public boolean hasApiKey() {
    return apiKey != null;
  }

  /** A request body with {@code model} filled in. */
  public ObjectNode newRequest() {
    ObjectNode body = JSON.createObjectNode();
    body.put("model", settings.model());
    return body;
  }

  /** {@code POST baseUrl + endpoint}; returns the JSON body of a 2xx response. */
  public JsonNode post(String endpoint, ObjectNode request) {
    return post(endpoint, request, r -> r);
  }

  /**
   * {@code POST baseUrl + endpoint} with retries; {@code parser} validates and converts the
   * response. A parser's {@link MalformedResponseException} is retried; any other exception from it
   * propagates at once. Only responses the parser accepted are cached.
   */
  public <T> T post(String endpoint, ObjectNode request, ResponseParser<T> parser) {
    return post(endpoint, request, parser, null);
  }

  /**
   * As {@link #post(String, ObjectNode, ResponseParser)}; a non-null {@code cacheSalt} is part of
   * the cache key but not of the request, so identical requests for different samples (APIs without
   * a {@code seed}, such as the images API) get separate cache entries.
   */
  public <T> T post(String endpoint, ObjectNode request, ResponseParser<T> parser, String cacheSalt) {
    String what = "POST " + URI.create(settings.baseUrl() + endpoint).getPath();
    byte[] body;
    try {
      body = JSON.writeValueAsBytes(request);
    } catch (JacksonException e) {
      throw new IllegalArgumentException(what + ": request is not serialisable as JSON");
    }
    return exchange(endpoint, body, "application/json", request, cacheSalt, parser);
  }

  /**
   * {@code POST baseUrl + endpoint} of a {@code multipart/form-data} body (the image edit and
   * variation endpoints), with the same retries, cache and error rules as {@link #post}. The cache
   * key covers the form's fields and a SHA-256 of each file.
   */
  public <T> T postMultipart(String endpoint, MultipartForm form, ResponseParser<T> parser, String cacheSalt) {
    return exchange(endpoint, form.body(), form.contentType(), form.cacheView(), cacheSalt, parser);
  }

  private <T> T exchange(String endpoint, byte[] body, String contentType, JsonNode keyView, String cacheSalt,
      ResponseParser<T> parser) {
    URI uri = URI.create(settings.baseUrl() + endpoint);
    String path = uri.getPath();
    String what = "POST " + path;
    String key = cache == null ? null : cacheKey(path, keyView, settings.model(), cacheSalt);
    if (key != null) {
      JsonNode cached = cache.get(key);
      if (cached != null) {
        try {
          return parser.parse(cached);
        } catch (MalformedResponseException e) {
          LOG.log(System.Logger.Level.WARNING, what + ": ignoring unusable cache entry " + key);
        }
      }
    }

    int lastStatus = -1;
    String lastProblem = null;
    Throwable lastCause = null;
    Duration retryAfter = null;
    int maxAttempts = settings.maxAttempts();
    for (int attempt = 1; attempt <= maxAttempts; attempt++) {
      if (attempt > 1) {
        sleep(backoff(attempt - 1, retryAfter), what);
      }
      retryAfter = null;
      HttpResponse<byte[]> response;
      try {
        response = send(uri, body, contentType, what);
      } catch (HttpTimeoutException | TimeoutException e) {
        lastStatus = -1;
        lastProblem = "no response within " + settings.requestTimeout().toMillis() + " ms";
        lastCause = e;
        logRetry(what, attempt, lastProblem);
        continue;
      } catch (IOException e) {
        lastStatus = -1;
        lastProblem = "connection error (" + e.getClass().getSimpleName() + ")";
        lastCause = e;
        logRetry(what, attempt, lastProblem);
        continue;
      }
      int status = response.statusCode();
      lastStatus = status;
      lastCause = null;
      if (status >= 200 && status < 300) {
        JsonNode json;
        try {
          json = JSON.readTree(response.body());
        } catch (IOException e) {
          json = null; // the parser's message may quote response text: not kept
        }
        if (json == null || !json.isObject()) {
          lastProblem = "malformed JSON in a " + response.body().length + "-byte response";
          logRetry(what, attempt, lastProblem);
          continue;
        }
        T value;
        try {
          value = parser.parse(json);
        } catch (MalformedResponseException e) {
          lastProblem = e.getMessage();
          logRetry(what, attempt, lastProblem);
          continue;
        }
        if (key != null) {
          cache.put(key, response.body());
        }
        return value;
      }
      if (status == 408 || status == 429 || status >= 500) {
        lastProblem = null;
        retryAfter = retryAfter(response.headers()).orElse(null);
        logRetry(what, attempt, "status " + status);
        continue;
      }
      throw new OpenAiApiException(
          what + " failed with status " + status + errorSummary(response.body()) + "; not retried",
          path,
          attempt,
          status,
          null);
    }
    String last =
        lastStatus >= 0
            ? "last status " + lastStatus + (lastProblem == null ? "" : " (" + lastProblem + ")")
            : "last error: " + lastProblem;
    throw new OpenAiApiException(
        what + " failed after " + maxAttempts + " attempts: " + last,
        path,
        maxAttempts,
        lastStatus,
        lastCause);
  }

  /**
   * Runs tasks on this client's worker pool (size {@code maxConcurrency}) and returns their results
   * in order; the first failure cancels the rest and is rethrown.
   */
  <T> List<T> inParallel(List<Supplier<T>> tasks) {
    if (tasks.size() == 1) {
      return List.of(tasks.get(0).get());
    }
    List<Future<T>> futures = new ArrayList<>(tasks.size());
    for (Supplier<T> task : tasks) {
      futures.add(workers.submit(task::get));
    }
    List<T> out = new ArrayList<>(tasks.size());
    try {
      for (Future<T> f : futures) {
        out.add(f.get());
      }
      return out;
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException re) {
        throw re;
      }
      if (c instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException("task failed", c);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException("interrupted while waiting for model requests");
    } finally {
      for (Future<T> f : futures) {
        f.cancel(true);
      }
    }
  }

  /**
   * SHA-256 over the URL path, the canonical request JSON (object keys sorted) and the model, as
   * lowercase hex. Identical requests, with the same {@code seed}, share one cache entry.
   */
  static String cacheKey(String path, JsonNode request, String model) {
    return cacheKey(path, request, model, null);
  }

  /** {@link #cacheKey(String, JsonNode, String)} with a salt appended when it is not null. */
  static String cacheKey(String path, JsonNode request, String model, String salt) {
    try {
      Object plain = CANONICAL.treeToValue(request, Object.class);
      String canonical = CANONICAL.writeValueAsString(plain);
      return ResponseCache.sha256Hex(
          path + "\n" + canonical + "\n" + model + (salt == null ? "" : "\n" + salt));
    } catch (JacksonException e) {
      throw new IllegalArgumentException("request is not serialisable as JSON");
    }
  }

  private HttpResponse<byte[]> send(URI uri, byte[] body, String contentType, String what)
      throws IOException, TimeoutException {
    Duration timeout = settings.requestTimeout();
    HttpRequest.Builder b =
        HttpRequest.newBuilder(uri)
            .timeout(timeout)
            .header("Content-Type", contentType)
            .header("Accept", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (apiKey != null) {
      b.header("Authorization", apiKey.bearer());
    }
    HttpRequest request = b.build();
    try {
      permits.acquire();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException(what + ": interrupted while waiting for a request slot");
    }
    CompletableFuture<HttpResponse<byte[]>> future = null;
    try {
      future = http.sendAsync(request, HttpResponse.BodyHandlers.ofByteArray());
      // The request timeout covers the headers; this bound also covers a body that never ends.
      return future.get(timeout.toMillis() + 50, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof IOException io) {
        throw io;
      }
      throw new IOException(c == null ? "send failed" : c.getClass().getSimpleName());
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw new CancellationException(what + ": interrupted");
    } catch (TimeoutException e) {
      future.cancel(true);
      throw e;
    } finally {
      permits.release();
    }
  }

  /**
   * Full jitter: uniform in [0, min(maxBackoff, initial·2^(retry−1))], but never below Retry-After.
   */
  private Duration backoff(int retry, Duration retryAfter) {
    long initial = settings.initialBackoff().toNanos();
    long cap = settings.maxBackoff().toNanos();
    long ceiling = retry >= 62 ? cap : Math.min(cap, initial << Math.min(retry - 1, 40));
    if (ceiling < 0) {
      ceiling = cap;
    }
    long jitter = ThreadLocalRandom.current().nextLong(ceiling + 1);
    if (retryAfter != null) {
      return Duration.ofNanos(Math.max(jitter, retryAfter.toNanos()));
    }
    return Duration.ofNanos(jitter);
  }

  /** Parses {@code retry-after-ms} or {@code Retry-After} (delta-seconds or HTTP-date). */
  static Optional<Duration> retryAfter(HttpHeaders headers) {
    Optional<String> ms = headers.firstValue("retry-after-ms");
    if (ms.isPresent()) {
      try {
        double v = Double.parseDouble(ms.get().strip());
        if (v >= 0 && Double.isFinite(v)) {
          return Optional.of(capped(Duration.ofNanos((long) Math.min(v * 1e6, 1e15))));
        }
      } catch (NumberFormatException ignored) {
        // fall through to Retry-After
      }
    }
    Optional<String> h = headers.firstValue("retry-after");
    if (h.isEmpty()) {
      return Optional.empty();
    }
    String v = h.get().strip();
    try {
      double seconds = Double.parseDouble(v);
      if (seconds >= 0 && Double.isFinite(seconds)) {
        return Optional.of(capped(Duration.ofNanos((long) Math.min(seconds * 1e9, 1e15))));
      }
      return Optional.empty();
    } catch (NumberFormatException notSeconds) {
      try {
        ZonedDateTime at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
        Duration d = Duration.between(ZonedDateTime.now(at.getZone()), at);
        return Optional.of(capped(d.isNegative() ? Duration.ZERO : d));
      } catch (DateTimeParseException notDate) {
        return Optional.empty();
      }
    }
  }

  private static Duration capped(Duration d) {
    return d.compareTo(MAX_RETRY_AFTER) > 0 ? MAX_RETRY_AFTER : d;
  }

  /** Only the error's {@code type} and {@code code}, and only if they look like identifiers. */
  static String errorSummary(byte[] body) {
    try {
      JsonNode error = JSON.readTree(body).path("error");
      List<String> parts = new ArrayList<>();
      for (String field : List.of("type", "code")) {
        JsonNode v = error.path(field);
        if ((v.isTextual() || v.isNumber()) && SAFE_TOKEN.matcher(v.asText()).matches()) {
          parts.add(field + " " + v.asText());
        }
      }
      return parts.isEmpty() ? "" : " (error " + String.join(", ", parts) + ")";
    } catch (IOException | RuntimeException e) {
      return "";
    }
  }

  private static void sleep(Duration d, String what) {
    try {
      TimeUnit.NANOSECONDS.sleep(d.toNanos());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CancellationException(what + ": interrupted during backoff");
    }
  }

  private static void logRetry(String what, int attempt, String problem) {
    LOG.log(System.Logger.Level.DEBUG, () -> what + " attempt " + attempt + " failed: " + problem);
  }

  /** Number of cached responses (for diagnostics and tests); 0 without a cache. */
  long cachedResponses() {
    return cache == null ? 0 : cache.size();
  }

  @Override
  public void close() {
    workers.shutdownNow();
  }

  @Override
  public String toString() {
    return "OpenAiClient[baseUrl="
        + settings.baseUrl()
        + ", model="
        + settings.model()
        + ", apiKey="
        + (apiKey == null ? "absent" : "from $" + settings.apiKeyEnv() + " (redacted)")
        + ", maxConcurrency="
        + settings.maxConcurrency()
        + ", cache="
        + (cache == null ? "off" : settings.cacheDir())
        + "]";
  }

  /** Holds the key so that no toString, log line or exception can print it by accident. */
  private static final class ApiKey {
    private final String value;

    ApiKey(String value) {
      this.value = value;
    }

    String bearer() {
      return "Bearer " + value;
    }

    @Override
    public String toString() {
      return "ApiKey[redacted]";
    }
  }
}
