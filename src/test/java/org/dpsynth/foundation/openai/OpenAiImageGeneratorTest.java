package org.dpsynth.foundation.openai;

import static org.dpsynth.foundation.openai.OpenAiClientTest.ENV;
import static org.dpsynth.foundation.openai.OpenAiClientTest.SECRET;
import static org.dpsynth.foundation.openai.OpenAiClientTest.assertNoSecrets;
import static org.dpsynth.foundation.openai.OpenAiClientTest.fast;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.imageio.ImageIO;
import org.dpsynth.foundation.image.GrayImage;
import org.dpsynth.foundation.openai.OpenAiCompatibleServer.Fault;
import org.dpsynth.foundation.openai.OpenAiCompatibleServer.RecordedRequest;
import org.dpsynth.foundation.openai.OpenAiImageGenerator.ImageApi;
import org.dpsynth.foundation.openai.OpenAiImageGenerator.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link OpenAiImageGenerator} against the images endpoints of the test server on 127.0.0.1. */
class OpenAiImageGeneratorTest extends WithOpenAiServer {

  private static final int W = 28;
  private static final int H = 28;
  private static final String PROMPT = "A grayscale photo of {label} on a plain background";

  private OpenAiImageGenerator generator(ImageApi api, String size, OpenAiSettings.Builder settings) {
    return new OpenAiImageGenerator(new OpenAiClient(settings.build(), ENV), new Options(W, H, api, size, PROMPT));
  }

  private static GrayImage decodeRunSized(String payload) {
    GrayImage g = GrayImage.fromPayload(payload);
    assertNotNull(g, "not a base64 PNG payload");
    assertEquals(W, g.width());
    assertEquals(H, g.height());
    return g;
  }

  private static BufferedImage png(byte[] bytes) throws IOException {
    BufferedImage img = ImageIO.read(new ByteArrayInputStream(bytes));
    assertNotNull(img, "upload is not a PNG");
    return img;
  }

  private static String parent(long seed) {
    return new GrayImage(W, H, OpenAiCompatibleServer.patternImage("parent", W, H, seed)).payload();
  }

  @Test
  void generationsSendLabelPromptSizeAndFormatAndYieldRunSizedDistinctImages() {
    try (OpenAiImageGenerator g = generator(ImageApi.EDITS, "auto", fast(server))) {
      List<String> out = g.random("Ankle boot", 4, 3L);
      assertEquals(4, out.size());
      out.forEach(OpenAiImageGeneratorTest::decodeRunSized);
      assertEquals(4, new HashSet<>(out).size(), "each sample is its own image");
      assertEquals(4, server.requestCount("/v1/images/generations"));
      for (RecordedRequest r : server.requests()) {
        assertEquals("A grayscale photo of Ankle boot on a plain background", r.json().path("prompt").asText());
        assertEquals("256x256", r.json().path("size").asText(), "auto: the smallest square size covering 28x28");
        assertEquals("b64_json", r.json().path("response_format").asText());
        assertEquals(1, r.json().path("n").asInt());
        assertEquals("test-model", r.json().path("model").asText());
        assertEquals("Bearer " + SECRET, r.authorization());
      }
      assertTrue(g.random("Ankle boot", 0, 3L).isEmpty());
    }
  }

  @Test
  void gptImageModelsGetNoResponseFormat() {
    try (OpenAiImageGenerator g = generator(ImageApi.EDITS, "1024x1024", fast(server).model("gpt-image-1"))) {
      decodeRunSized(g.random("Bag", 1, 1L).get(0));
      assertFalse(server.requests().get(0).json().has("response_format"));
      assertEquals("1024x1024", server.requests().get(0).json().path("size").asText());
    }
  }

  @Test
  void requestSizes() {
    assertArrayEquals(new int[] {256, 256}, OpenAiImageGenerator.requestSize("auto", 28, 28));
    assertArrayEquals(new int[] {512, 512}, OpenAiImageGenerator.requestSize("AUTO", 300, 200));
    assertArrayEquals(new int[] {1024, 1024}, OpenAiImageGenerator.requestSize("auto", 4000, 10));
    assertArrayEquals(new int[] {64, 48}, OpenAiImageGenerator.requestSize("64x48", 28, 28));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> OpenAiImageGenerator.requestSize("big", 28, 28));
    assertTrue(e.getMessage().contains("generator.image_size"), e.getMessage());
  }

  @Test
  void editsUploadTheParentAMaskOfTheDegreeAndThePrompt() throws IOException {
    try (OpenAiImageGenerator g = generator(ImageApi.EDITS, "64x64", fast(server))) {
      List<String> parents = List.of(parent(1), parent(2));
      List<String> out = g.variation("Shirt", parents, 0.25, 9L);
      assertEquals(2, out.size());
      for (int i = 0; i < 2; i++) {
        decodeRunSized(out.get(i));
        assertNotEquals(parents.get(i), out.get(i));
      }
      assertEquals(2, server.requestCount("/v1/images/edits"));
      for (RecordedRequest r : server.requests()) {
        assertEquals("A grayscale photo of Shirt on a plain background", r.json().path("prompt").asText());
        assertEquals("64x64", r.json().path("size").asText());
        assertEquals("b64_json", r.json().path("response_format").asText());
        assertEquals("test-model", r.json().path("model").asText());
        BufferedImage image = png(r.files().get("image"));
        assertEquals(64, image.getWidth(), "the parent is enlarged to the request size");
        BufferedImage mask = png(r.files().get("mask"));
        assertEquals(64, mask.getWidth());
        assertTrue(mask.getColorModel().hasAlpha());
        int transparent = 0;
        for (int y = 0; y < 64; y++) {
          for (int x = 0; x < 64; x++) {
            transparent += (mask.getRGB(x, y) >>> 24) == 0 ? 1 : 0;
          }
        }
        assertEquals(16 * 8 * 8, transparent, "degree 0.25 opens 16 of 64 cells of 8x8 pixels");
      }
      // The kept (opaque) cells keep the parent: the variation is nearer its parent than the other parent.
      GrayImage a = decodeRunSized(out.get(0));
      assertTrue(l2(a, GrayImage.ofPayload(parents.get(0))) < l2(a, GrayImage.ofPayload(parents.get(1))));
      server.resetStats();
      assertEquals(parents, g.variation("Shirt", parents, 0, 9L), "degree 0: the parents, no request");
      assertEquals(0, server.requests().size());
    }
  }

  @Test
  void maskOpensRoundDegreeTimes64CellsAtLeastOne() throws IOException {
    for (double d : new double[] {0.01, 0.5, 1.0}) {
      BufferedImage m = png(OpenAiImageGenerator.mask(80, 40, d, new SplittableRandom(3)));
      int open = 0;
      for (int y = 0; y < 40; y++) {
        for (int x = 0; x < 80; x++) {
          open += (m.getRGB(x, y) >>> 24) == 0 ? 1 : 0;
        }
      }
      int cells = Math.max(1, (int) Math.round(d * 64));
      assertEquals(cells * 10 * 5, open, "degree " + d);
    }
  }

  @Test
  void variationsUploadTheParentOnly() throws IOException {
    try (OpenAiImageGenerator g = generator(ImageApi.VARIATIONS, "auto", fast(server))) {
      List<String> out = g.variation("Shirt", List.of(parent(1)), 0.5, 4L);
      decodeRunSized(out.get(0));
      assertEquals(1, server.requestCount("/v1/images/variations"));
      RecordedRequest r = server.requests().get(0);
      assertEquals(List.of("image"), List.copyOf(r.files().keySet()));
      assertEquals(256, png(r.files().get("image")).getWidth());
      assertFalse(r.json().has("prompt"));
      assertEquals("256x256", r.json().path("size").asText());
      assertEquals("Bearer " + SECRET, r.authorization());
    }
  }

  @Test
  void retriesStatusMalformedBadBase64NonImagesAndTimeouts() {
    server.script("/images/generations", Fault.tooManyRequests("0"), Fault.status(500), Fault.badBase64());
    try (OpenAiImageGenerator g = generator(ImageApi.EDITS, "32x32", fast(server))) {
      decodeRunSized(g.random("Bag", 1, 1L).get(0));
      assertEquals(4, server.requestCount("/images/generations"));
      server.resetStats();
      server.script("/images/generations", Fault.malformedJson(), Fault.notAnImage(), Fault.hang(Duration.ofMillis(1500)));
      decodeRunSized(g.random("Bag", 1, 2L).get(0));
      assertEquals(4, server.requestCount("/images/generations"));
      server.resetStats();
      // A multipart body is sent again, whole, on a retry.
      server.script("/images/edits", Fault.status(503));
      decodeRunSized(g.variation("Bag", List.of(parent(5)), 0.5, 1L).get(0));
      assertEquals(2, server.requestCount("/images/edits"));
      assertArrayEquals(server.requests().get(0).files().get("image"), server.requests().get(1).files().get("image"));
      assertArrayEquals(server.requests().get(0).files().get("mask"), server.requests().get(1).files().get("mask"));
    }
  }

  @Test
  void anImageOfAnotherSizeIsResizedToTheRunSize() {
    server.script("/images/generations", Fault.wrongSizeImage(5));
    try (OpenAiImageGenerator g = generator(ImageApi.EDITS, "32x32", fast(server))) {
      decodeRunSized(g.random("Bag", 1, 1L).get(0));
      assertEquals(1, server.requestCount("/images/generations"), "accepted, not retried");
      assertEquals(0, server.pendingFaults());
    }
  }

  @Test
  void malformedAnswersFailWithClearMessagesAfterTheAttemptBound() {
    try (OpenAiImageGenerator g = generator(ImageApi.EDITS, "32x32", fast(server))) {
      server.script("/images/generations", Fault.badBase64(), Fault.badBase64(), Fault.badBase64(), Fault.badBase64());
      OpenAiApiException e = assertThrows(OpenAiApiException.class, () -> g.random("Bag", 1, 1L));
      assertTrue(e.getMessage().contains("POST /v1/images/generations failed after 4 attempts"), e.getMessage());
      assertTrue(e.getMessage().contains("data[0].b64_json is not valid base64"), e.getMessage());
      assertEquals(4, e.attempts());
      server.script("/images/edits", Fault.notAnImage(), Fault.notAnImage(), Fault.notAnImage(), Fault.notAnImage());
      e = assertThrows(OpenAiApiException.class, () -> g.variation("Bag", List.of(parent(1)), 0.3, 1L));
      assertTrue(e.getMessage().contains("POST /v1/images/edits failed after 4 attempts"), e.getMessage());
      assertTrue(e.getMessage().contains("not a decodable image"), e.getMessage());
      assertFalse(e.getMessage().contains("this is not an image"), "response content is not echoed");
    }
  }

  @Test
  void cacheAnswersARepeatedCallWithoutRequestsAndSeparatesSamples(@TempDir Path dir) {
    OpenAiSettings.Builder s = fast(server).cacheDir(dir.resolve("cache"));
    List<String> first;
    List<String> varied;
    try (OpenAiImageGenerator g = generator(ImageApi.EDITS, "32x32", s)) {
      first = g.random("Coat", 3, 11L);
      varied = g.variation("Coat", List.of(parent(1), parent(1)), 0.5, 12L);
    }
    assertEquals(3, new HashSet<>(first).size(), "same prompt, three samples: three cache entries");
    assertNotEquals(varied.get(0), varied.get(1), "two variations of one parent are two entries");
    assertEquals(5, server.requests().size());
    server.resetStats();
    try (OpenAiImageGenerator g = generator(ImageApi.EDITS, "32x32", s)) {
      assertEquals(first, g.random("Coat", 3, 11L));
      assertEquals(varied, g.variation("Coat", List.of(parent(1), parent(1)), 0.5, 12L));
      assertEquals(0, server.requests().size(), "a resumed run pays nothing");
      g.random("Coat", 1, 99L);
      assertEquals(1, server.requests().size(), "another seed is another sample");
    }
  }

  @Test
  void keyNeverInLogsErrorsOrToString() {
    Logger log = Logger.getLogger("org.dpsynth.foundation.openai");
    List<String> lines = new ArrayList<>();
    Handler h = new Handler() {
      @Override
      public void publish(LogRecord r) {
        lines.add(r.getMessage() + " " + (r.getParameters() == null ? "" : List.of(r.getParameters())));
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Level before = log.getLevel();
    log.setLevel(Level.ALL);
    h.setLevel(Level.ALL);
    log.addHandler(h);
    try (OpenAiImageGenerator g = generator(ImageApi.EDITS, "32x32", fast(server))) {
      server.script("*", Fault.status(500), Fault.status(500), Fault.status(500), Fault.status(500));
      OpenAiApiException e = assertThrows(OpenAiApiException.class, () -> g.random("Bag", 1, 1L));
      assertEquals(500, e.lastStatus());
      assertNoSecrets(e);
      // A server whose 400 echoes the request: neither the echo nor the key reaches the error.
      server.script("*", Fault.errorEchoingRequest(400));
      e = assertThrows(OpenAiApiException.class, () -> g.random(OpenAiClientTest.PRIVATE, 1, 1L));
      assertTrue(e.getMessage().contains("not retried"), e.getMessage());
      assertNoSecrets(e);
      assertFalse(g.toString().contains(SECRET), g.toString());
    } finally {
      log.removeHandler(h);
      log.setLevel(before);
    }
    assertTrue(lines.size() >= 4, "the retries were logged: " + lines);
    for (String l : lines) {
      assertFalse(l.contains(SECRET), "key in a log line: " + l);
      assertFalse(l.contains(OpenAiClientTest.PRIVATE), "request text in a log line: " + l);
    }
  }

  @Test
  void noNextTokenApi() {
    try (OpenAiImageGenerator g = generator(ImageApi.EDITS, "auto", fast(server))) {
      assertThrows(UnsupportedOperationException.class, () -> g.topTokens("x", 1));
    }
  }

  private static double l2(GrayImage a, GrayImage b) {
    double s = 0;
    for (int i = 0; i < a.pixels().length; i++) {
      double d = a.pixels()[i] - b.pixels()[i];
      s += d * d;
    }
    return Math.sqrt(s);
  }
}
