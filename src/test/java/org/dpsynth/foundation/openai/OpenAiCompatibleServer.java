package org.dpsynth.foundation.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.dpsynth.foundation.image.GrayImage;

/**
 * A real OpenAI-compatible HTTP server on 127.0.0.1 for tests and local runs: {@code POST
 * /v1/chat/completions} (optionally with {@code logprobs}), {@code /v1/completions} (with {@code
 * logprobs}), {@code /v1/embeddings}, and the images API: {@code /v1/images/generations} (JSON),
 * {@code /v1/images/edits} and {@code /v1/images/variations} (multipart forms, parsed here). Text
 * answers are deterministic: embeddings are signed hashed bag-of-words vectors (see {@link
 * #embedText}), completions are pseudo-text seeded by the prompt and {@code seed}, token
 * distributions a softmax over hashed scores (see {@link #topLogprobs}). Images are 8-bit gray PNGs
 * of the requested {@code size} (see {@link #patternImage}): a label pattern chosen by the prompt
 * plus noise that differs per request (the images API has no seed), edits repaint the mask's
 * transparent cells, variations perturb the uploaded image.
 *
 * <p>Faults come from a script ({@link #script(String, Fault...)}: the next matching requests get
 * these faults, in order) or at random ({@link #faultRate(double, long)}). Every request is
 * recorded with its Authorization header and body, and the server tracks requests in flight.
 *
 * <p>It binds the loopback address only and stops itself after {@code maxLifetime}. As a process:
 *
 * <pre>
 * java -cp target/test-classes:target/classes:$(cat cp.txt) \
 *   org.dpsynth.foundation.openai.OpenAiCompatibleServer --port 8080 --fault-rate 0.2 \
 *   [--seed 1] [--dimension 64] [--lifetime-seconds 3600] [--latency-ms 0] [--hang-ms 0]
 * </pre>
 *
 * (cp.txt from {@code mvn -o -q dependency:build-classpath -Dmdep.outputFile=cp.txt}). It prints
 * {@code listening on http://127.0.0.1:PORT/v1} and runs until the lifetime ends or it is killed.
 */
public final class OpenAiCompatibleServer implements AutoCloseable {

  /** What to do to one request instead of (or before) answering it normally. */
  public enum Kind {
    /** Reply with {@code status} and an OpenAI-style error body; {@code retryAfter} if set. */
    STATUS,
    /** Sleep {@code hang} before answering normally (longer than the client timeout = a hang). */
    HANG,
    /** 200 with a body that is not JSON. */
    MALFORMED_JSON,
    /** Embeddings: {@code delta} more (or fewer) items than inputs. */
    WRONG_EMBEDDING_COUNT,
    /** Embeddings: the last item carries an {@code error} instead of an embedding. */
    ITEM_ERROR,
    /** Embeddings: the first vector is all zeros. */
    ZERO_VECTOR,
    /** Embeddings: the first vector contains 1e400 (parses as infinity). */
    NON_FINITE_VECTOR,
    /** Completions/chat: empty text. */
    EMPTY_OUTPUT,
    /** 400 whose error message echoes the request body, as some servers do. */
    ERROR_ECHOING_REQUEST,
    /** Images: {@code b64_json} that is not base64. */
    BAD_BASE64,
    /** Images: valid base64 of bytes that are no image. */
    NOT_AN_IMAGE,
    /** Images: a PNG of another size than requested ({@code delta} pixels wider, half as high). */
    WRONG_SIZE_IMAGE
  }

  /** One scripted fault; build with the static factories. */
  public record Fault(Kind kind, int status, String retryAfter, Duration hang, int delta) {
    public static Fault status(int status) {
      return new Fault(Kind.STATUS, status, null, Duration.ZERO, 0);
    }

    /** 429 with {@code Retry-After: value} (seconds, or an HTTP-date). */
    public static Fault tooManyRequests(String retryAfter) {
      return new Fault(Kind.STATUS, 429, retryAfter, Duration.ZERO, 0);
    }

    public static Fault hang(Duration d) {
      return new Fault(Kind.HANG, 0, null, d, 0);
    }

    public static Fault malformedJson() {
      return new Fault(Kind.MALFORMED_JSON, 200, null, Duration.ZERO, 0);
    }

    public static Fault wrongEmbeddingCount(int delta) {
      return new Fault(Kind.WRONG_EMBEDDING_COUNT, 200, null, Duration.ZERO, delta);
    }

    public static Fault itemError() {
      return new Fault(Kind.ITEM_ERROR, 200, null, Duration.ZERO, 0);
    }

    public static Fault zeroVector() {
      return new Fault(Kind.ZERO_VECTOR, 200, null, Duration.ZERO, 0);
    }

    public static Fault nonFiniteVector() {
      return new Fault(Kind.NON_FINITE_VECTOR, 200, null, Duration.ZERO, 0);
    }

    public static Fault emptyOutput() {
      return new Fault(Kind.EMPTY_OUTPUT, 200, null, Duration.ZERO, 0);
    }

    public static Fault errorEchoingRequest(int status) {
      return new Fault(Kind.ERROR_ECHOING_REQUEST, status, null, Duration.ZERO, 0);
    }

    public static Fault badBase64() {
      return new Fault(Kind.BAD_BASE64, 200, null, Duration.ZERO, 0);
    }

    public static Fault notAnImage() {
      return new Fault(Kind.NOT_AN_IMAGE, 200, null, Duration.ZERO, 0);
    }

    public static Fault wrongSizeImage(int extraWidth) {
      return new Fault(Kind.WRONG_SIZE_IMAGE, 200, null, Duration.ZERO, extraWidth);
    }
  }

  /**
   * A request as received. {@code authorization} is the raw header value or null. For a multipart
   * request, {@code body} is a JSON object of its text fields and {@code files} holds its file
   * parts by field name (empty otherwise).
   */
  public record RecordedRequest(
      String path, String authorization, String body, long receivedNanos, Map<String, byte[]> files) {
    public JsonNode json() {
      try {
        return JSON.readTree(body);
      } catch (IOException e) {
        return null;
      }
    }
  }

  private record Scripted(String pathSuffix, Fault fault) {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final double NON_FINITE_SENTINEL = 123456.75;
  private static final List<String> VOCABULARY =
      List.of(
          "the",
          "a",
          "service",
          "was",
          "great",
          "slow",
          "friendly",
          "price",
          "food",
          "room",
          "staff",
          "order",
          "delivery",
          "quality",
          "would",
          "recommend",
          "never",
          "again",
          "very",
          "good",
          "bad",
          "experience",
          "time",
          "day",
          "team",
          "product",
          "support",
          "quick",
          "helpful",
          "late",
          "clean",
          "noisy",
          "value",
          "place",
          "visit",
          "return");
  private static final List<String> TOKENS =
      List.of(
          " the",
          " a",
          " positive",
          " negative",
          " good",
          " bad",
          " great",
          " terrible",
          " yes",
          " no",
          " and",
          " of",
          ".",
          ",",
          " it",
          " is",
          " was",
          " not",
          " very",
          " service");
  private static final Pattern QUOTED = Pattern.compile("\"([^\"]{1,200})\"");

  private final HttpServer server;
  private final ExecutorService executor;
  private final ScheduledExecutorService reaper;
  private final int dimension;
  private final List<Scripted> script = new ArrayList<>();
  private final List<RecordedRequest> requests = new CopyOnWriteArrayList<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicInteger maxInFlight = new AtomicInteger();
  private final AtomicBoolean stopped = new AtomicBoolean();
  private final CountDownLatch stoppedLatch = new CountDownLatch(1);
  private volatile double faultRate;
  private volatile Random faultRandom = new Random(0);
  private volatile Duration latency = Duration.ZERO;
  private volatile int maxTopLogprobs = Integer.MAX_VALUE;
  private volatile Duration randomHang = Duration.ZERO;

  private OpenAiCompatibleServer(int port, int dimension, Duration maxLifetime) throws IOException {
    this.dimension = dimension;
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
    AtomicInteger n = new AtomicInteger();
    executor =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "fake-openai-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    reaper =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "fake-openai-lifetime");
              t.setDaemon(true);
              return t;
            });
    reaper.schedule(this::close, maxLifetime.toMillis(), TimeUnit.MILLISECONDS);
    server.start();
  }

  /** Ephemeral port, dimension 64, stops itself after 10 minutes. */
  public static OpenAiCompatibleServer start() {
    return start(0, 64, Duration.ofMinutes(10));
  }

  /** {@code port} 0 picks a free port; the server stops by itself after {@code maxLifetime}. */
  public static OpenAiCompatibleServer start(int port, int dimension, Duration maxLifetime) {
    try {
      return new OpenAiCompatibleServer(port, dimension, maxLifetime);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start test server on 127.0.0.1:" + port, e);
    }
  }

  /** The socket address the server listens on (always a loopback address). */
  public InetSocketAddress boundAddress() {
    return server.getAddress();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** {@code http://127.0.0.1:PORT/v1}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port() + "/v1";
  }

  public int dimension() {
    return dimension;
  }

  /**
   * Appends faults for the next requests whose path ends with {@code pathSuffix} ({@code "*"}
   * matches any path): each matching request consumes the earliest matching entry.
   */
  public synchronized OpenAiCompatibleServer script(String pathSuffix, Fault... faults) {
    for (Fault f : faults) {
      script.add(new Scripted(pathSuffix, f));
    }
    return this;
  }

  /** Scripted faults not yet consumed. */
  public synchronized int pendingFaults() {
    return script.size();
  }

  /**
   * Each unscripted request fails with probability {@code rate}, drawing uniformly from: 429
   * (Retry-After 0 or 1), 500, 503, malformed JSON, for embeddings a wrong item count, and a hang
   * if {@link #randomHang(Duration)} is set.
   */
  public OpenAiCompatibleServer faultRate(double rate, long seed) {
    this.faultRandom = new Random(seed);
    this.faultRate = rate;
    return this;
  }

  /**
   * Refuse (400, as OpenAI and vLLM do) any request asking for more than {@code cap} top
   * log-probabilities: chat {@code top_logprobs} or completions {@code logprobs}.
   */
  public OpenAiCompatibleServer maxTopLogprobs(int cap) {
    this.maxTopLogprobs = cap;
    return this;
  }

  /** Delay before every normal answer (lets tests observe concurrency). */
  public OpenAiCompatibleServer latency(Duration d) {
    this.latency = d;
    return this;
  }

  /** Hang duration used by random faults; zero (default) leaves hangs out of the random mix. */
  public OpenAiCompatibleServer randomHang(Duration d) {
    this.randomHang = d;
    return this;
  }

  public List<RecordedRequest> requests() {
    return List.copyOf(requests);
  }

  /** Requests received whose path ends with {@code pathSuffix}. */
  public int requestCount(String pathSuffix) {
    return (int) requests.stream().filter(r -> r.path().endsWith(pathSuffix)).count();
  }

  public int maxInFlight() {
    return maxInFlight.get();
  }

  /** Forgets recorded requests and the in-flight maximum (scripted faults stay). */
  public void resetStats() {
    requests.clear();
    maxInFlight.set(inFlight.get());
  }

  /** Blocks until the server has stopped (lifetime over or {@link #close()}). */
  public void awaitStop() throws InterruptedException {
    stoppedLatch.await();
  }

  @Override
  public void close() {
    if (stopped.compareAndSet(false, true)) {
      server.stop(0);
      executor.shutdownNow();
      reaper.shutdownNow();
      stoppedLatch.countDown();
    }
  }

  // ---- request handling ----

  private void handle(HttpExchange ex) throws IOException {
    int now = inFlight.incrementAndGet();
    maxInFlight.accumulateAndGet(now, Math::max);
    try {
      String path = ex.getRequestURI().getPath();
      byte[] raw = ex.getRequestBody().readAllBytes();
      String contentType = ex.getRequestHeaders().getFirst("Content-Type");
      Map<String, byte[]> files = new LinkedHashMap<>();
      String body;
      if (contentType != null && contentType.startsWith("multipart/form-data")) {
        ObjectNode fields = JSON.createObjectNode();
        if (!parseMultipart(raw, contentType, fields, files)) {
          error(ex, 400, "malformed multipart body", "invalid_request_error", "invalid_multipart");
          return;
        }
        body = JSON.writeValueAsString(fields);
      } else {
        body = new String(raw, StandardCharsets.UTF_8);
      }
      requests.add(
          new RecordedRequest(
              path,
              ex.getRequestHeaders().getFirst("Authorization"),
              body,
              System.nanoTime(),
              Map.copyOf(files)));
      if (!"POST".equals(ex.getRequestMethod())) {
        error(ex, 405, "only POST is supported", "invalid_request_error", null);
        return;
      }
      Fault fault = nextFault(path);
      if (fault != null && fault.kind() == Kind.HANG) {
        sleep(fault.hang());
        fault = null;
      }
      if (fault != null) {
        switch (fault.kind()) {
          case STATUS -> {
            if (fault.retryAfter() != null) {
              ex.getResponseHeaders().set("Retry-After", fault.retryAfter());
            }
            error(ex, fault.status(), "injected fault", "server_error", "injected");
            return;
          }
          case MALFORMED_JSON -> {
            send(
                ex,
                200,
                "{\"object\": \"list\", \"data\": [ {\"trunc".getBytes(StandardCharsets.UTF_8));
            return;
          }
          case ERROR_ECHOING_REQUEST -> {
            error(ex, fault.status(), "Invalid request: " + body, "invalid_request_error", "bad");
            return;
          }
          default -> {
            // handled by the endpoint
          }
        }
      }
      JsonNode req;
      try {
        req = JSON.readTree(body);
      } catch (IOException e) {
        error(ex, 400, "body is not JSON", "invalid_request_error", "invalid_json");
        return;
      }
      if (req == null || !req.path("model").isTextual()) {
        error(ex, 400, "model is required", "invalid_request_error", "missing_model");
        return;
      }
      int askedLogprobs = path.endsWith("/chat/completions") ? req.path("top_logprobs").asInt(0) : req.path("logprobs").asInt(0);
      if (askedLogprobs > maxTopLogprobs) {
        error(ex, 400, "top log-probabilities must be at most " + maxTopLogprobs, "invalid_request_error", "invalid_value");
        return;
      }
      sleep(latency);
      Kind kind = fault == null ? null : fault.kind();
      int delta = fault == null ? 0 : fault.delta();
      ObjectNode response;
      if (path.endsWith("/images/generations")) {
        response = generations(req, kind, delta);
      } else if (path.endsWith("/images/edits")) {
        response = edits(req, files, kind, delta);
      } else if (path.endsWith("/images/variations")) {
        response = imageVariations(req, files, kind, delta);
      } else if (path.endsWith("/embeddings")) {
        response = embeddings(req, kind, delta);
      } else if (path.endsWith("/chat/completions")) {
        response = chat(req, kind);
      } else if (path.endsWith("/completions")) {
        response = completions(req, kind);
      } else {
        error(ex, 404, "unknown endpoint", "invalid_request_error", "not_found");
        return;
      }
      if (response == null) {
        error(ex, 400, "bad input", "invalid_request_error", "invalid_input");
        return;
      }
      byte[] bytes = JSON.writeValueAsBytes(response);
      if (kind == Kind.NON_FINITE_VECTOR) {
        // JSON has no infinity; 1e400 is valid JSON that overflows to +Infinity when parsed.
        bytes =
            new String(bytes, StandardCharsets.UTF_8)
                .replaceFirst(Pattern.quote(Double.toString(NON_FINITE_SENTINEL)), "1e400")
                .getBytes(StandardCharsets.UTF_8);
      }
      send(ex, 200, bytes);
    } catch (IOException | RuntimeException e) {
      // client went away (e.g. it timed out on a hang): nothing to answer
    } finally {
      inFlight.decrementAndGet();
      ex.close();
    }
  }

  private Fault nextFault(String path) {
    synchronized (this) {
      Iterator<Scripted> it = script.iterator();
      while (it.hasNext()) {
        Scripted s = it.next();
        if (s.pathSuffix().equals("*") || path.endsWith(s.pathSuffix())) {
          it.remove();
          return s.fault();
        }
      }
    }
    double rate = faultRate;
    if (rate <= 0) {
      return null;
    }
    Random r = faultRandom;
    synchronized (r) {
      if (r.nextDouble() >= rate) {
        return null;
      }
      List<Fault> mix = new ArrayList<>();
      mix.add(Fault.tooManyRequests(r.nextBoolean() ? "0" : "1"));
      mix.add(Fault.status(500));
      mix.add(Fault.status(503));
      mix.add(Fault.malformedJson());
      if (path.endsWith("/embeddings")) {
        mix.add(Fault.wrongEmbeddingCount(r.nextBoolean() ? 1 : -1));
      }
      if (path.contains("/images/")) {
        mix.add(Fault.badBase64());
        mix.add(Fault.wrongSizeImage(r.nextInt(8) + 1));
      }
      if (!randomHang.isZero()) {
        mix.add(Fault.hang(randomHang));
      }
      return mix.get(r.nextInt(mix.size()));
    }
  }

  private ObjectNode embeddings(JsonNode req, Kind fault, int delta) {
    JsonNode input = req.get("input");
    List<String> texts = new ArrayList<>();
    if (input != null && input.isTextual()) {
      texts.add(input.asText());
    } else if (input != null && input.isArray()) {
      for (JsonNode t : input) {
        if (!t.isTextual()) {
          return null;
        }
        texts.add(t.asText());
      }
    } else {
      return null;
    }
    int dim = req.path("dimensions").asInt(dimension);
    ObjectNode out = JSON.createObjectNode();
    out.put("object", "list");
    out.put("model", req.get("model").asText());
    ArrayNode data = out.putArray("data");
    int count = texts.size() + (fault == Kind.WRONG_EMBEDDING_COUNT ? delta : 0);
    for (int i = 0; i < Math.max(0, count); i++) {
      ObjectNode item = data.addObject();
      item.put("object", "embedding");
      item.put("index", i);
      if (fault == Kind.ITEM_ERROR && i == texts.size() - 1) {
        item.putObject("error").put("message", "could not embed this input");
        continue;
      }
      float[] v = embedText(texts.get(Math.min(i, texts.size() - 1)), dim);
      ArrayNode arr = item.putArray("embedding");
      for (float x : v) {
        arr.add(fault == Kind.ZERO_VECTOR && i == 0 ? 0f : x);
      }
      if (fault == Kind.NON_FINITE_VECTOR && i == 0) {
        arr.set(0, JSON.getNodeFactory().numberNode(NON_FINITE_SENTINEL)); // becomes 1e400
      }
    }
    out.putObject("usage").put("prompt_tokens", 0).put("total_tokens", 0);
    return out;
  }

  // ---- images ----

  private final AtomicInteger imageRequests = new AtomicInteger();

  private ObjectNode generations(JsonNode req, Kind fault, int delta) {
    String prompt = req.path("prompt").asText(null);
    int[] size = size(req.path("size").asText("256x256"));
    if (prompt == null || prompt.isBlank() || size == null) {
      return null;
    }
    long noise = fnv(prompt) * 31 + imageRequests.incrementAndGet();
    float[] px = patternImage(prompt, size[0], size[1], noise);
    return imageResponse(req, size[0], size[1], px, fault, delta);
  }

  private ObjectNode edits(JsonNode req, Map<String, byte[]> files, Kind fault, int delta) {
    String prompt = req.path("prompt").asText(null);
    BufferedImage image = readImage(files.get("image"));
    int[] size = size(req.path("size").asText("256x256"));
    if (prompt == null || prompt.isBlank() || image == null || size == null) {
      return null;
    }
    int w = image.getWidth();
    int h = image.getHeight();
    BufferedImage mask = files.containsKey("mask") ? readImage(files.get("mask")) : image;
    if (mask == null || mask.getWidth() != w || mask.getHeight() != h || !mask.getColorModel().hasAlpha()) {
      return null; // as OpenAI: the mask (or the image without one) needs an alpha channel, same size
    }
    float[] old = gray(image);
    float[] fresh = patternImage(prompt, w, h, fnv(prompt) * 31 + imageRequests.incrementAndGet());
    float[] px = new float[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        boolean open = (mask.getRGB(x, y) >>> 24) == 0;
        px[y * w + x] = open ? fresh[y * w + x] : old[y * w + x];
      }
    }
    return imageResponse(req, w, h, resize(px, w, h, size[0], size[1]), size[0], size[1], fault, delta);
  }

  private ObjectNode imageVariations(JsonNode req, Map<String, byte[]> files, Kind fault, int delta) {
    BufferedImage image = readImage(files.get("image"));
    int[] size = size(req.path("size").asText("256x256"));
    if (image == null || size == null) {
      return null;
    }
    int w = image.getWidth();
    int h = image.getHeight();
    float[] old = gray(image);
    Random r = new Random(imageRequests.incrementAndGet());
    int dx = r.nextInt(3) - 1;
    float[] px = new float[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int sx = Math.max(0, Math.min(w - 1, x + dx));
        px[y * w + x] = (float) Math.max(0, Math.min(1, old[y * w + sx] + r.nextGaussian() * 0.05));
      }
    }
    return imageResponse(req, w, h, resize(px, w, h, size[0], size[1]), size[0], size[1], fault, delta);
  }

  private ObjectNode imageResponse(JsonNode req, int w, int h, float[] px, Kind fault, int delta) {
    return imageResponse(req, w, h, px, w, h, fault, delta);
  }

  private ObjectNode imageResponse(
      JsonNode req, int srcW, int srcH, float[] px, int w, int h, Kind fault, int delta) {
    ObjectNode out = JSON.createObjectNode();
    out.put("created", 0);
    ObjectNode item = out.putArray("data").addObject();
    if (fault == Kind.WRONG_SIZE_IMAGE) {
      int ww = w + Math.max(1, delta);
      int hh = Math.max(1, h / 2);
      px = resize(px, w, h, ww, hh);
      w = ww;
      h = hh;
    }
    byte[] png = png(px, w, h);
    String b64 = Base64.getEncoder().encodeToString(png);
    if (fault == Kind.BAD_BASE64) {
      b64 = "%%not*base64%%" + b64.substring(0, Math.min(20, b64.length()));
    } else if (fault == Kind.NOT_AN_IMAGE) {
      b64 = Base64.getEncoder().encodeToString("this is not an image".getBytes(StandardCharsets.UTF_8));
    }
    if (req.has("response_format") && !"b64_json".equals(req.path("response_format").asText())) {
      item.put("url", "http://127.0.0.1/unavailable.png");
    } else {
      item.put("b64_json", b64);
    }
    return out;
  }

  /** {@code WxH} with sides in [1, 2048], or null. */
  private static int[] size(String s) {
    Matcher m = Pattern.compile("(\\d{1,4})x(\\d{1,4})").matcher(s);
    if (!m.matches()) {
      return null;
    }
    int w = Integer.parseInt(m.group(1));
    int h = Integer.parseInt(m.group(2));
    return w < 1 || h < 1 || w > 2048 || h > 2048 ? null : new int[] {w, h};
  }

  /**
   * A gray image for {@code prompt}: stripes whose angle and frequency come from the prompt's hash
   * (so each label has its own pattern), plus Gaussian noise (sd 0.1) seeded by {@code noiseSeed}.
   */
  public static float[] patternImage(String prompt, int w, int h, long noiseSeed) {
    long hp = fnv(prompt);
    double angle = (hp & 0xff) / 255.0 * Math.PI;
    double freq = 2 + ((hp >>> 8) & 0x7) ; // cycles across the image
    Random r = new Random(noiseSeed);
    float[] px = new float[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        double u = (x / (double) w) * Math.cos(angle) + (y / (double) h) * Math.sin(angle);
        double v = 0.5 + 0.4 * Math.sin(2 * Math.PI * freq * u) + 0.1 * r.nextGaussian();
        px[y * w + x] = (float) Math.max(0, Math.min(1, v));
      }
    }
    return px;
  }

  /** Nearest-neighbour resize (the server's own; the client's resize is under test). */
  private static float[] resize(float[] px, int w, int h, int nw, int nh) {
    float[] out = new float[nw * nh];
    for (int y = 0; y < nh; y++) {
      for (int x = 0; x < nw; x++) {
        out[y * nw + x] = px[(y * h / nh) * w + (x * w / nw)];
      }
    }
    return out;
  }

  private static byte[] png(float[] px, int w, int h) {
    return new GrayImage(w, h, px).png();
  }

  private static BufferedImage readImage(byte[] bytes) {
    if (bytes == null || bytes.length == 0) {
      return null;
    }
    try {
      return ImageIO.read(new ByteArrayInputStream(bytes));
    } catch (IOException e) {
      return null;
    }
  }

  private static float[] gray(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    float[] px = new float[w * h];
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int rgb = img.getRGB(x, y);
        px[y * w + x] = (((rgb >> 16) & 0xff) + ((rgb >> 8) & 0xff) + (rgb & 0xff)) / (3 * 255f);
      }
    }
    return px;
  }

  /**
   * Splits a {@code multipart/form-data} body into text fields and files; false when it is not
   * well formed (no boundary, no closing delimiter, a part without a name).
   */
  static boolean parseMultipart(
      byte[] body, String contentType, ObjectNode fields, Map<String, byte[]> files) {
    Matcher b = Pattern.compile("boundary=\"?([^\";]+)\"?").matcher(contentType);
    if (!b.find()) {
      return false;
    }
    byte[] delim = ("--" + b.group(1)).getBytes(StandardCharsets.ISO_8859_1);
    int pos = indexOf(body, delim, 0);
    if (pos < 0) {
      return false;
    }
    while (true) {
      int start = pos + delim.length;
      if (start + 2 <= body.length && body[start] == '-' && body[start + 1] == '-') {
        return true; // closing delimiter
      }
      start += 2; // CRLF after the delimiter
      int headersEnd = indexOf(body, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), start);
      int next = indexOf(body, delim, start);
      if (headersEnd < 0 || next < 0 || headersEnd > next) {
        return false;
      }
      String headers = new String(body, start, headersEnd - start, StandardCharsets.UTF_8);
      Matcher name = Pattern.compile("name=\"([^\"]*)\"").matcher(headers);
      if (!name.find()) {
        return false;
      }
      byte[] data = Arrays.copyOfRange(body, headersEnd + 4, next - 2); // minus the CRLF
      if (headers.contains("filename=")) {
        files.put(name.group(1), data);
      } else {
        fields.put(name.group(1), new String(data, StandardCharsets.UTF_8));
      }
      pos = next;
    }
  }

  private static int indexOf(byte[] haystack, byte[] needle, int from) {
    outer:
    for (int i = Math.max(0, from); i <= haystack.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  private ObjectNode chat(JsonNode req, Kind fault) {
    JsonNode messages = req.get("messages");
    if (messages == null || !messages.isArray() || messages.isEmpty()) {
      return null;
    }
    StringBuilder prompt = new StringBuilder();
    for (JsonNode m : messages) {
      prompt.append(m.path("content").asText()).append('\n');
    }
    ObjectNode out = base(req, "chat.completion");
    ObjectNode choice = out.putArray("choices").addObject();
    choice.put("index", 0);
    ObjectNode message = choice.putObject("message");
    message.put("role", "assistant");
    if (req.path("logprobs").asBoolean(false)) {
      int k = Math.max(1, req.path("top_logprobs").asInt(1));
      List<Object[]> top = topLogprobs(prompt.toString(), k);
      message.put("content", (String) top.get(0)[0]);
      ArrayNode tops =
          choice
              .putObject("logprobs")
              .putArray("content")
              .addObject()
              .put("token", (String) top.get(0)[0])
              .put("logprob", (Double) top.get(0)[1])
              .putArray("top_logprobs");
      for (Object[] t : top) {
        tops.addObject().put("token", (String) t[0]).put("logprob", (Double) t[1]);
      }
    } else {
      String text =
          fault == Kind.EMPTY_OUTPUT
              ? "  "
              : "  \""
                  + pseudoText(
                      prompt.toString(),
                      req.path("seed").asLong(0),
                      req.path("max_tokens").asInt(64))
                  + "\"\n";
      message.put("content", text);
    }
    choice.put("finish_reason", "stop");
    return out;
  }

  private ObjectNode completions(JsonNode req, Kind fault) {
    String prompt = req.path("prompt").asText(null);
    if (prompt == null) {
      return null;
    }
    ObjectNode out = base(req, "text_completion");
    ObjectNode choice = out.putArray("choices").addObject();
    choice.put("index", 0);
    int k = req.path("logprobs").asInt(0);
    if (k > 0) {
      List<Object[]> top = topLogprobs(prompt, k);
      choice.put("text", fault == Kind.EMPTY_OUTPUT ? "" : (String) top.get(0)[0]);
      ObjectNode lp = choice.putObject("logprobs");
      lp.putArray("tokens").add((String) top.get(0)[0]);
      lp.putArray("token_logprobs").add((Double) top.get(0)[1]);
      ObjectNode first = lp.putArray("top_logprobs").addObject();
      for (Object[] t : top) {
        first.put((String) t[0], (Double) t[1]);
      }
      lp.putArray("text_offset").add(prompt.length());
    } else {
      choice.put(
          "text",
          fault == Kind.EMPTY_OUTPUT
              ? ""
              : pseudoText(prompt, req.path("seed").asLong(0), req.path("max_tokens").asInt(16)));
    }
    choice.put("finish_reason", "length");
    return out;
  }

  private static ObjectNode base(JsonNode req, String object) {
    ObjectNode out = JSON.createObjectNode();
    out.put("id", "fake-" + Integer.toHexString(req.toString().hashCode()));
    out.put("object", object);
    out.put("created", 0);
    out.put("model", req.get("model").asText());
    out.putObject("usage").put("prompt_tokens", 0).put("completion_tokens", 0);
    return out;
  }

  // ---- deterministic "models", public so tests can compute expected answers ----

  /** Signed hashed bag of lower-cased words, L2-normalised; an empty text maps to e_0. */
  public static float[] embedText(String text, int dimension) {
    double[] v = new double[dimension];
    for (String w : words(text)) {
      long h = fnv(w);
      int i = (int) Math.floorMod(h, (long) dimension);
      v[i] += ((h >>> 40) & 1) == 0 ? 1 : -1;
    }
    double sq = 0;
    for (double x : v) {
      sq += x * x;
    }
    float[] out = new float[dimension];
    if (sq == 0) {
      out[0] = 1;
      return out;
    }
    double norm = Math.sqrt(sq);
    for (int i = 0; i < dimension; i++) {
      out[i] = (float) (v[i] / norm);
    }
    return out;
  }

  /**
   * The top {@code k} next tokens after {@code prompt}: a log-softmax over hashed scores in [-4, 4]
   * for a fixed 20-token vocabulary, as {token, logprob} pairs, most likely first.
   */
  public static List<Object[]> topLogprobs(String prompt, int k) {
    double[] s = new double[TOKENS.size()];
    double max = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < s.length; i++) {
      s[i] = ((fnv(prompt + "\u0000" + TOKENS.get(i)) >>> 11) / (double) (1L << 53)) * 8 - 4;
      max = Math.max(max, s[i]);
    }
    double z = 0;
    for (double x : s) {
      z += Math.exp(x - max);
    }
    double logZ = max + Math.log(z);
    List<Object[]> all = new ArrayList<>();
    for (int i = 0; i < s.length; i++) {
      all.add(new Object[] {TOKENS.get(i), s[i] - logZ});
    }
    all.sort((a, b) -> Double.compare((Double) b[1], (Double) a[1]));
    return all.subList(0, Math.min(k, all.size()));
  }

  /**
   * Pseudo-text: words of the prompt's quoted strings and of its last "Text:" section, each kept
   * with probability 0.7 or else replaced (and every {@code _} filled) by a vocabulary word; random
   * vocabulary if the prompt has neither. So variations stay near their parents in embedding space.
   */
  static String pseudoText(String prompt, long seed, int maxWords) {
    Random r = new Random(fnv(prompt) * 31 + seed);
    List<String> source = new ArrayList<>();
    int t = prompt.lastIndexOf("Text:");
    if (t >= 0) {
      source.addAll(Arrays.asList(prompt.substring(t + 5).strip().split("\\s+")));
    } else {
      Matcher m = QUOTED.matcher(prompt);
      while (m.find()) {
        source.addAll(Arrays.asList(m.group(1).split("\\s+")));
      }
      int extra = 8 + r.nextInt(12);
      for (int i = 0; i < extra; i++) {
        source.add(VOCABULARY.get(r.nextInt(VOCABULARY.size())));
      }
    }
    List<String> out = new ArrayList<>();
    for (String w : source) {
      if (w.isBlank()) {
        continue;
      }
      boolean replace = w.equals("_") || r.nextDouble() < 0.3;
      out.add(replace ? VOCABULARY.get(r.nextInt(VOCABULARY.size())) : w);
      if (out.size() >= Math.max(1, maxWords)) {
        break;
      }
    }
    if (out.isEmpty()) {
      out.add(VOCABULARY.get(r.nextInt(VOCABULARY.size())));
    }
    return String.join(" ", out);
  }

  private static List<String> words(String text) {
    List<String> out = new ArrayList<>();
    for (String w : text.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
      if (!w.isEmpty()) {
        out.add(w);
      }
    }
    return out;
  }

  private static long fnv(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= (b & 0xff);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    return h ^ (h >>> 33);
  }

  private static void error(HttpExchange ex, int status, String message, String type, String code)
      throws IOException {
    ObjectNode body = JSON.createObjectNode();
    ObjectNode err = body.putObject("error");
    err.put("message", message);
    err.put("type", type);
    if (code != null) {
      err.put("code", code);
    }
    send(ex, status, JSON.writeValueAsBytes(body));
  }

  private static void send(HttpExchange ex, int status, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", "application/json");
    ex.sendResponseHeaders(status, body.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(body);
    }
  }

  private static void sleep(Duration d) {
    if (d.isZero()) {
      return;
    }
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("stopped");
    }
  }

  // ---- as a separate process ----

  public static void main(String[] args) throws Exception {
    int port = 0;
    int dimension = 64;
    double rate = 0;
    long seed = 1;
    long lifetime = 3600;
    long latencyMs = 0;
    long hangMs = 0;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value for " + a);
      }
      String v = args[++i];
      switch (a) {
        case "--port" -> port = Integer.parseInt(v);
        case "--dimension" -> dimension = Integer.parseInt(v);
        case "--fault-rate" -> rate = Double.parseDouble(v);
        case "--seed" -> seed = Long.parseLong(v);
        case "--lifetime-seconds" -> lifetime = Long.parseLong(v);
        case "--latency-ms" -> latencyMs = Long.parseLong(v);
        case "--hang-ms" -> hangMs = Long.parseLong(v);
        default ->
            throw new IllegalArgumentException(
                "unknown option "
                    + a
                    + "; known: --port --dimension --fault-rate --seed"
                    + " --lifetime-seconds --latency-ms --hang-ms");
      }
    }
    if (rate < 0 || rate > 1) {
      throw new IllegalArgumentException("--fault-rate must be in [0, 1], got " + rate);
    }
    OpenAiCompatibleServer s = start(port, dimension, Duration.ofSeconds(lifetime));
    s.faultRate(rate, seed)
        .latency(Duration.ofMillis(latencyMs))
        .randomHang(Duration.ofMillis(hangMs));
    System.out.println(
        "listening on "
            + s.baseUrl()
            + " (fault rate "
            + rate
            + ", stops after "
            + lifetime
            + " s)");
    System.out.flush();
    s.awaitStop();
  }
}
