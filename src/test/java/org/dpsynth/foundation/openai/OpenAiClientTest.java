package org.dpsynth.foundation.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;
import java.util.stream.Stream;
import org.dpsynth.foundation.openai.OpenAiCompatibleServer.Fault;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The retry, timeout, cache and secrecy behaviour of {@link OpenAiClient} against a real server.
 */
class OpenAiClientTest extends WithOpenAiServer {

  static final String KEY_ENV = "DPSYNTH_TEST_OPENAI_KEY";
  static final String SECRET = "sk-test-SECRET-4f9a1c";
  static final Function<String, String> ENV = Map.of(KEY_ENV, SECRET)::get;

  /** Stands for private text in a prompt: must never reach an exception message. */
  static final String PRIVATE = "patient Jane Roe was diagnosed";

  /** Short timeouts and backoffs so fault tests stay fast. */
  static OpenAiSettings.Builder fast(OpenAiCompatibleServer server) {
    return OpenAiSettings.builder(server.baseUrl(), "test-model")
        .apiKeyEnv(KEY_ENV)
        .maxAttempts(4)
        .requestTimeout(Duration.ofMillis(1000))
        .initialBackoff(Duration.ofMillis(5))
        .maxBackoff(Duration.ofMillis(40));
  }

  private static ObjectNode embedRequest(OpenAiClient client, String text) {
    ObjectNode req = client.newRequest();
    req.putArray("input").add(text);
    return req;
  }

  static Stream<Arguments> recoverableFaults() {
    return Stream.of(
        Arguments.of("500", Fault.status(500)),
        Arguments.of("502", Fault.status(502)),
        Arguments.of("503", Fault.status(503)),
        Arguments.of("408", Fault.status(408)),
        Arguments.of("429 Retry-After 0", Fault.tooManyRequests("0")),
        Arguments.of("malformed JSON", Fault.malformedJson()),
        Arguments.of("hung response", Fault.hang(Duration.ofMillis(4000))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("recoverableFaults")
  void eachFaultIsRetriedAndRecovers(String name, Fault fault) {
    server.script("/embeddings", fault, fault);
    try (OpenAiClient client = new OpenAiClient(fast(server).build(), ENV)) {
      long t0 = System.nanoTime();
      JsonNode r = client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, "hello world"));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertEquals(64, r.path("data").path(0).path("embedding").size());
      assertEquals(3, server.requestCount("/v1/embeddings"), "two faults, then success");
      assertEquals(0, server.pendingFaults());
      if (fault.kind() == OpenAiCompatibleServer.Kind.HANG) {
        // Two timed-out attempts of 1 s each, less than waiting out even one 4 s hang.
        assertTrue(ms >= 2000, "each hung attempt waits for the timeout; took " + ms + " ms");
        assertTrue(ms < 4000, "the client must not wait out the hang; took " + ms + " ms");
      }
    }
  }

  @Test
  void exhaustedBoundNamesPathAttemptsAndLastStatus() {
    server.script(
        "/embeddings", Fault.status(500), Fault.status(502), Fault.status(503), Fault.status(503));
    try (OpenAiClient client = new OpenAiClient(fast(server).build(), ENV)) {
      OpenAiApiException e =
          assertThrows(
              OpenAiApiException.class,
              () -> client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, PRIVATE)));
      assertEquals("POST /v1/embeddings failed after 4 attempts: last status 503", e.getMessage());
      assertEquals(4, e.attempts());
      assertEquals(503, e.lastStatus());
      assertEquals("/v1/embeddings", e.path());
      assertEquals(4, server.requestCount("/embeddings"));
      assertNoSecrets(e);
    }
  }

  @Test
  void exhaustedByMalformedJsonSaysSo() {
    server.script(
        "*",
        Fault.malformedJson(),
        Fault.malformedJson(),
        Fault.malformedJson(),
        Fault.malformedJson());
    try (OpenAiClient client = new OpenAiClient(fast(server).build(), ENV)) {
      OpenAiApiException e =
          assertThrows(
              OpenAiApiException.class,
              () -> client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, PRIVATE)));
      assertTrue(
          e.getMessage()
              .startsWith(
                  "POST /v1/embeddings failed after 4 attempts: last status 200 (malformed JSON"),
          e.getMessage());
      assertNoSecrets(e);
    }
  }

  @Test
  void hangsUntilTheBoundIsSpentGiveATimeoutError() {
    Fault hang = Fault.hang(Duration.ofMillis(3000));
    server.script("*", hang, hang);
    OpenAiSettings s = fast(server).maxAttempts(2).build();
    try (OpenAiClient client = new OpenAiClient(s, ENV)) {
      OpenAiApiException e =
          assertThrows(
              OpenAiApiException.class,
              () -> client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, PRIVATE)));
      assertEquals(
          "POST /v1/embeddings failed after 2 attempts: last error: no response within 1000 ms",
          e.getMessage());
      assertEquals(-1, e.lastStatus());
      assertNoSecrets(e);
    }
  }

  /** The milliseconds between the server's two requests (there must be exactly two). */
  private long secondAttemptGapMs() {
    List<OpenAiCompatibleServer.RecordedRequest> rs = server.requests();
    assertEquals(2, rs.size());
    return (rs.get(1).receivedNanos() - rs.get(0).receivedNanos()) / 1_000_000;
  }

  @Test
  void retryAfterSecondsIsHonoured() {
    server.script("/embeddings", Fault.tooManyRequests("1"));
    try (OpenAiClient client = new OpenAiClient(fast(server).build(), ENV)) {
      long t0 = System.nanoTime();
      client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, "x"));
      long ms = (System.nanoTime() - t0) / 1_000_000;
      // maxBackoff is 40 ms, so only Retry-After explains a wait of a second.
      assertTrue(ms >= 1000, "waited only " + ms + " ms");
      long gapMs = secondAttemptGapMs();
      assertTrue(gapMs >= 1000, "second attempt came after " + gapMs + " ms");
    }
  }

  @Test
  void retryAfterHttpDateIsHonoured() {
    ZonedDateTime at =
        ZonedDateTime.now(ZoneOffset.UTC).truncatedTo(ChronoUnit.SECONDS).plusSeconds(2);
    server.script(
        "/embeddings", Fault.tooManyRequests(DateTimeFormatter.RFC_1123_DATE_TIME.format(at)));
    try (OpenAiClient client = new OpenAiClient(fast(server).build(), ENV)) {
      client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, "x"));
      long gapMs = secondAttemptGapMs();
      // The date is ≥ 1 s ahead (2 s minus the truncated sub-second part).
      assertTrue(gapMs >= 1000, "second attempt came after " + gapMs + " ms");
    }
  }

  @Test
  void clientErrorsFailAtOnceWithoutEchoingTheServerMessage() {
    server.script("/chat/completions", Fault.errorEchoingRequest(400));
    try (OpenAiClient client = new OpenAiClient(fast(server).build(), ENV)) {
      ObjectNode req = client.newRequest();
      req.putArray("messages").addObject().put("role", "user").put("content", PRIVATE);
      OpenAiApiException e =
          assertThrows(
              OpenAiApiException.class, () -> client.post(OpenAiClient.CHAT_COMPLETIONS, req));
      assertEquals(
          "POST /v1/chat/completions failed with status 400 (error type invalid_request_error,"
              + " code bad); not retried",
          e.getMessage());
      assertEquals(1, e.attempts());
      assertEquals(1, server.requestCount("/chat/completions"), "4xx must not be retried");
      assertNoSecrets(e);
    }
  }

  @Test
  void unauthorisedFailsAtOnce() {
    server.script("*", Fault.status(401));
    try (OpenAiClient client = new OpenAiClient(fast(server).build(), ENV)) {
      OpenAiApiException e =
          assertThrows(
              OpenAiApiException.class,
              () -> client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, PRIVATE)));
      assertEquals(401, e.lastStatus());
      assertEquals(1, server.requestCount("/embeddings"));
      assertNoSecrets(e);
    }
  }

  @Test
  void connectionErrorsAreRetriedThenReported() {
    int port = server.port();
    server.close(); // nothing listens there now
    OpenAiSettings s =
        fast(server).baseUrl("http://127.0.0.1:" + port + "/v1").maxAttempts(3).build();
    try (OpenAiClient client = new OpenAiClient(s, ENV)) {
      OpenAiApiException e =
          assertThrows(
              OpenAiApiException.class,
              () -> client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, PRIVATE)));
      assertTrue(
          e.getMessage()
              .startsWith(
                  "POST /v1/embeddings failed after 3 attempts: last error: connection error"),
          e.getMessage());
      assertNoSecrets(e);
    }
  }

  @Test
  void apiKeyIsSentButNeverShown(@TempDir Path cache) throws IOException {
    OpenAiSettings s = fast(server).cacheDir(cache).build();
    try (OpenAiClient client = new OpenAiClient(s, ENV)) {
      client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, "hello"));
      assertEquals("Bearer " + SECRET, server.requests().get(0).authorization());
      assertTrue(client.hasApiKey());
      assertFalse(client.toString().contains(SECRET), client.toString());
      assertTrue(client.toString().contains(KEY_ENV), "toString names the variable");
      assertFalse(s.toString().contains(SECRET));
      assertFalse(new OpenAiEmbedder(client).toString().contains(SECRET));
      assertFalse(new OpenAiGenerator(client).toString().contains(SECRET));
    }
    try (Stream<Path> files = Files.walk(cache)) {
      List<Path> entries = files.filter(Files::isRegularFile).toList();
      assertEquals(1, entries.size());
      for (Path f : entries) {
        String content = Files.readString(f);
        assertFalse(content.contains(SECRET), "cache file holds the key: " + f);
        assertFalse(content.contains("Bearer"), "cache file holds an auth header: " + f);
      }
    }
  }

  @Test
  void noKeyMeansNoAuthorizationHeader() {
    OpenAiSettings s = fast(server).apiKeyEnv("DPSYNTH_UNSET_VARIABLE").build();
    try (OpenAiClient client = new OpenAiClient(s, name -> null)) {
      client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, "hello"));
      assertNull(server.requests().get(0).authorization());
      assertFalse(client.hasApiKey());
    }
  }

  @Test
  void cacheAvoidsRepeatRequestsAndSurvivesANewClient(@TempDir Path cache) {
    OpenAiSettings s = fast(server).cacheDir(cache).build();
    JsonNode first;
    try (OpenAiClient client = new OpenAiClient(s, ENV)) {
      first = client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, "cache me"));
      JsonNode second = client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, "cache me"));
      assertEquals(first, second);
      assertEquals(1, server.requestCount("/embeddings"), "second identical call must be cached");
      client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, "something else"));
      assertEquals(2, server.requestCount("/embeddings"), "a different request is not a hit");
    }
    // A resumed run: new client, new server (other port), same cacheDir.
    try (OpenAiCompatibleServer other = OpenAiCompatibleServer.start();
        OpenAiClient client =
            new OpenAiClient(s.toBuilder().baseUrl(other.baseUrl()).build(), ENV)) {
      assertEquals(first, client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, "cache me")));
      assertEquals(0, other.requestCount("/embeddings"));
      // Another model is another key.
      OpenAiSettings otherModel =
          s.toBuilder().baseUrl(other.baseUrl()).model("other-model").build();
      try (OpenAiClient c2 = new OpenAiClient(otherModel, ENV)) {
        c2.post(OpenAiClient.EMBEDDINGS, embedRequest(c2, "cache me"));
      }
      assertEquals(1, other.requestCount("/embeddings"));
    }
  }

  @Test
  void rejectedResponsesAreNotCached(@TempDir Path cache) {
    server.script("*", Fault.malformedJson());
    OpenAiSettings s = fast(server).cacheDir(cache).build();
    try (OpenAiClient client = new OpenAiClient(s, ENV)) {
      client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, "x"));
      assertEquals(1, client.cachedResponses());
      assertEquals(2, server.requestCount("/embeddings"));
    }
  }

  @Test
  void cacheKeyIgnoresFieldOrderButNotValues() {
    ObjectNode a = OpenAiClient.JSON.createObjectNode().put("model", "m").put("seed", 1);
    a.putObject("x").put("p", 1).put("q", 2);
    ObjectNode b = OpenAiClient.JSON.createObjectNode();
    b.putObject("x").put("q", 2).put("p", 1);
    b.put("seed", 1).put("model", "m");
    assertEquals(OpenAiClient.cacheKey("/v1/e", a, "m"), OpenAiClient.cacheKey("/v1/e", b, "m"));
    b.put("seed", 2);
    assertFalse(
        OpenAiClient.cacheKey("/v1/e", a, "m").equals(OpenAiClient.cacheKey("/v1/e", b, "m")));
    assertFalse(
        OpenAiClient.cacheKey("/v1/e", a, "m").equals(OpenAiClient.cacheKey("/v1/f", a, "m")));
    assertFalse(
        OpenAiClient.cacheKey("/v1/e", a, "m").equals(OpenAiClient.cacheKey("/v1/e", a, "n")));
  }

  @Test
  void concurrencyBoundIsRespected() throws Exception {
    server.latency(Duration.ofMillis(150));
    OpenAiSettings s = fast(server).maxConcurrency(3).requestTimeout(Duration.ofSeconds(5)).build();
    ExecutorService callers = Executors.newFixedThreadPool(10);
    try (OpenAiClient client = new OpenAiClient(s, ENV)) {
      List<Future<JsonNode>> fs = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        String text = "text " + i;
        fs.add(
            callers.submit(() -> client.post(OpenAiClient.EMBEDDINGS, embedRequest(client, text))));
      }
      for (Future<JsonNode> f : fs) {
        f.get();
      }
    } finally {
      callers.shutdownNow();
    }
    assertEquals(12, server.requestCount("/embeddings"));
    assertTrue(server.maxInFlight() <= 3, "in flight: " + server.maxInFlight());
    // 10 callers, 150 ms per request: the bound is reached, not merely respected by serialising.
    assertTrue(server.maxInFlight() >= 2, "in flight: " + server.maxInFlight());
  }

  @Test
  void clientsForTheSameEndpointShareTheBound() throws Exception {
    server.latency(Duration.ofMillis(150));
    OpenAiSettings s = fast(server).maxConcurrency(2).requestTimeout(Duration.ofSeconds(5)).build();
    ExecutorService callers = Executors.newFixedThreadPool(8);
    try (OpenAiClient a = new OpenAiClient(s, ENV);
        OpenAiClient b = new OpenAiClient(s.toBuilder().model("another-model").build(), ENV)) {
      List<Future<JsonNode>> fs = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        OpenAiClient c = i % 2 == 0 ? a : b;
        String text = "text " + i;
        fs.add(callers.submit(() -> c.post(OpenAiClient.EMBEDDINGS, embedRequest(c, text))));
      }
      for (Future<JsonNode> f : fs) {
        f.get();
      }
    } finally {
      callers.shutdownNow();
    }
    assertEquals(8, server.requestCount("/embeddings"));
    assertTrue(server.maxInFlight() <= 2, "in flight: " + server.maxInFlight());
  }

  @Test
  void retryAfterParsing() {
    assertEquals(
        Duration.ofSeconds(3), OpenAiClient.retryAfter(headers("Retry-After", "3")).orElseThrow());
    assertEquals(
        Duration.ofMillis(250),
        OpenAiClient.retryAfter(headers("retry-after-ms", "250")).orElseThrow());
    assertEquals(
        OpenAiClient.MAX_RETRY_AFTER,
        OpenAiClient.retryAfter(headers("Retry-After", "999999")).orElseThrow());
    assertEquals(
        Duration.ZERO,
        OpenAiClient.retryAfter(headers("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"))
            .orElseThrow());
    assertTrue(OpenAiClient.retryAfter(headers("Retry-After", "soon")).isEmpty());
  }

  private static java.net.http.HttpHeaders headers(String name, String value) {
    return java.net.http.HttpHeaders.of(Map.of(name, List.of(value)), (a, b) -> true);
  }

  /** Neither the key nor the private prompt text may appear anywhere in the exception chain. */
  static void assertNoSecrets(Throwable e) {
    StringWriter w = new StringWriter();
    e.printStackTrace(new PrintWriter(w));
    String all = w.toString();
    assertFalse(all.contains(SECRET), "API key leaked: " + all);
    assertFalse(all.contains(PRIVATE), "prompt text leaked: " + all);
  }
}
