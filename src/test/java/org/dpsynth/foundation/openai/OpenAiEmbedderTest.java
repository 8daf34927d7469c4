package org.dpsynth.foundation.openai;

import static org.dpsynth.foundation.openai.OpenAiClientTest.ENV;
import static org.dpsynth.foundation.openai.OpenAiClientTest.PRIVATE;
import static org.dpsynth.foundation.openai.OpenAiClientTest.fast;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dpsynth.foundation.Embedder.Embeddings;
import org.dpsynth.foundation.openai.OpenAiCompatibleServer.Fault;
import org.junit.jupiter.api.Test;

class OpenAiEmbedderTest extends WithOpenAiServer {

  private static List<String> texts(int n) {
    List<String> t = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      t.add("review number " + i + " says the room " + (i % 2 == 0 ? "was clean" : "felt noisy"));
    }
    return t;
  }

  @Test
  void unitVectorsInInputOrderAcrossBatches() {
    List<String> texts = texts(10);
    try (OpenAiEmbedder e =
        new OpenAiEmbedder(new OpenAiClient(fast(server).batchSize(3).build(), ENV))) {
      Embeddings out = e.embed(texts);
      assertEquals(0, out.truncated());
      assertEquals(10, out.vectors().length);
      assertEquals(4, server.requestCount("/embeddings"), "10 texts in batches of 3");
      for (int i = 0; i < texts.size(); i++) {
        float[] v = out.vectors()[i];
        double sq = 0;
        for (float x : v) {
          sq += x * x;
        }
        assertEquals(1.0, Math.sqrt(sq), 1e-5, "unit norm at " + i);
        assertArrayEquals(
            OpenAiCompatibleServer.embedText(texts.get(i), 64), v, 1e-6f, "order at " + i);
      }
      assertEquals(64, e.dimension());
      assertEquals(4, server.requestCount("/embeddings"), "dimension known after a call: no probe");
      // Each request carried its batch in order.
      List<String> sent = new ArrayList<>();
      server.requests().stream()
          .sorted(
              (a, b) ->
                  a.json()
                      .path("input")
                      .get(0)
                      .asText()
                      .compareTo(b.json().path("input").get(0).asText()))
          .forEach(r -> r.json().path("input").forEach(x -> sent.add(x.asText())));
      assertEquals(texts.stream().sorted().toList(), sent.stream().sorted().toList());
    }
  }

  @Test
  void renormalisesVectorsThatAreNotUnit() {
    // The server's vectors are unit; a scaled response must come back unit too.
    var node = OpenAiClient.JSON.createObjectNode();
    var item = node.putArray("data").addObject();
    item.put("index", 0);
    item.putArray("embedding").add(3.0).add(4.0);
    float[][] v = OpenAiEmbedder.parse(node, 0, 1);
    assertArrayEquals(new float[] {0.6f, 0.8f}, v[0], 1e-7f);
  }

  @Test
  void itemsAreReorderedByIndex() {
    var node = OpenAiClient.JSON.createObjectNode();
    var data = node.putArray("data");
    data.addObject().put("index", 1).putArray("embedding").add(0.0).add(1.0);
    data.addObject().put("index", 0).putArray("embedding").add(1.0).add(0.0);
    float[][] v = OpenAiEmbedder.parse(node, 0, 2);
    assertArrayEquals(new float[] {1f, 0f}, v[0]);
    assertArrayEquals(new float[] {0f, 1f}, v[1]);
  }

  @Test
  void dimensionIsProbedOnceWhenUnknown() {
    try (OpenAiEmbedder e = new OpenAiEmbedder(new OpenAiClient(fast(server).build(), ENV))) {
      assertEquals(64, e.dimension());
      assertEquals(64, e.dimension());
      assertEquals(1, server.requestCount("/embeddings"));
      assertEquals(
          OpenAiEmbedder.DIMENSION_PROBE,
          server.requests().get(0).json().path("input").get(0).asText());
    }
  }

  @Test
  void configuredDimensionsAreSentAndNeedNoProbe() {
    try (OpenAiEmbedder e =
        new OpenAiEmbedder(new OpenAiClient(fast(server).embeddingDimensions(16).build(), ENV))) {
      assertEquals(16, e.dimension());
      assertEquals(0, server.requestCount("/embeddings"));
      assertEquals(16, e.embed(List.of("a b c")).vectors()[0].length);
      assertEquals(16, server.requests().get(0).json().path("dimensions").asInt());
    }
  }

  @Test
  void partialBatchIsRetriedAndSucceeds() {
    server.script(
        "/embeddings",
        Fault.wrongEmbeddingCount(-1),
        Fault.wrongEmbeddingCount(1),
        Fault.itemError());
    List<String> texts = texts(4);
    try (OpenAiEmbedder e = new OpenAiEmbedder(new OpenAiClient(fast(server).build(), ENV))) {
      Embeddings out = e.embed(texts);
      assertEquals(4, server.requestCount("/embeddings"));
      for (int i = 0; i < 4; i++) {
        assertArrayEquals(
            OpenAiCompatibleServer.embedText(texts.get(i), 64), out.vectors()[i], 1e-6f);
      }
    }
  }

  @Test
  void persistentPartialBatchFailsClearly() {
    for (int i = 0; i < 4; i++) {
      server.script("/embeddings", Fault.wrongEmbeddingCount(-1));
    }
    List<String> texts = List.of(PRIVATE, "second", "third");
    try (OpenAiEmbedder e = new OpenAiEmbedder(new OpenAiClient(fast(server).build(), ENV))) {
      OpenAiApiException ex = assertThrows(OpenAiApiException.class, () -> e.embed(texts));
      assertEquals(
          "POST /v1/embeddings failed after 4 attempts: last status 200 (embedding batch 0: 2"
              + " embeddings for 3 inputs)",
          ex.getMessage());
      OpenAiClientTest.assertNoSecrets(ex);
    }
  }

  @Test
  void zeroNormVectorNamesTheBatchNotTheText() {
    List<String> texts = new ArrayList<>(texts(4));
    texts.set(2, PRIVATE);
    server.script("/embeddings", Fault.zeroVector());
    // batchSize 2, sequential fault consumption is not guaranteed across parallel batches, so use
    // one worker.
    try (OpenAiEmbedder e =
        new OpenAiEmbedder(
            new OpenAiClient(fast(server).batchSize(2).maxConcurrency(1).build(), ENV))) {
      IllegalStateException ex = assertThrows(IllegalStateException.class, () -> e.embed(texts));
      assertEquals("embedding batch 0, item 0: zero-norm vector", ex.getMessage());
      assertFalse(ex.getMessage().contains("review"));
    }
  }

  @Test
  void nonFiniteVectorIsAnError() {
    server.script("/embeddings", Fault.nonFiniteVector());
    try (OpenAiEmbedder e = new OpenAiEmbedder(new OpenAiClient(fast(server).build(), ENV))) {
      IllegalStateException ex =
          assertThrows(IllegalStateException.class, () -> e.embed(List.of(PRIVATE)));
      assertTrue(
          ex.getMessage().startsWith("embedding batch 0, item 0: vector has a non-finite value"),
          ex.getMessage());
      assertFalse(ex.getMessage().contains(PRIVATE));
      assertEquals(1, server.requestCount("/embeddings"), "bad values are not retried");
    }
  }

  @Test
  void longInputsAreCutAndCounted() {
    String longText = "word ".repeat(100); // 500 chars
    try (OpenAiEmbedder e =
        new OpenAiEmbedder(new OpenAiClient(fast(server).embeddingMaxChars(50).build(), ENV))) {
      Embeddings out = e.embed(List.of("short", longText, longText));
      assertEquals(2, out.truncated());
      assertEquals(50, server.requests().get(0).json().path("input").get(1).asText().length());
    }
  }

  @Test
  void emptyInputMakesNoRequest() {
    try (OpenAiEmbedder e = new OpenAiEmbedder(new OpenAiClient(fast(server).build(), ENV))) {
      assertEquals(0, e.embed(List.of()).vectors().length);
      assertEquals(0, server.requests().size());
    }
  }

  @Test
  void survivesRandomFaults() {
    // Fault rate 0.3 over ~30 requests with 6 attempts each: a request fails all 6 with
    // probability 0.3^6 ≈ 7e-4; seeded, so the outcome is fixed anyway.
    server.faultRate(0.3, 42);
    List<String> texts = texts(60);
    try (OpenAiEmbedder e =
        new OpenAiEmbedder(
            new OpenAiClient(fast(server).maxAttempts(6).batchSize(2).build(), ENV))) {
      Embeddings out = e.embed(texts);
      for (int i = 0; i < texts.size(); i++) {
        assertArrayEquals(
            OpenAiCompatibleServer.embedText(texts.get(i), 64), out.vectors()[i], 1e-6f);
      }
      assertTrue(server.requestCount("/embeddings") > 30, "some faults were injected");
    }
  }
}
