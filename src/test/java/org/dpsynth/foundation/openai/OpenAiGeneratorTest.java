package org.dpsynth.foundation.openai;

import static org.dpsynth.foundation.openai.OpenAiClientTest.ENV;
import static org.dpsynth.foundation.openai.OpenAiClientTest.PRIVATE;
import static org.dpsynth.foundation.openai.OpenAiClientTest.fast;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.dpsynth.foundation.Generator.TokenLogProb;
import org.dpsynth.foundation.openai.OpenAiCompatibleServer.Fault;
import org.dpsynth.foundation.openai.OpenAiCompatibleServer.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OpenAiGeneratorTest extends WithOpenAiServer {

  private static String prompt(RecordedRequest r) {
    return r.json().path("messages").path(0).path("content").asText();
  }

  @Test
  void randomUsesLabelKeywordLengthAndSeedAndStripsQuotes() {
    try (OpenAiGenerator g =
        new OpenAiGenerator(new OpenAiClient(fast(server).targetWords(40).build(), ENV))) {
      List<String> out = g.random("hotel review", 6, 7L);
      assertEquals(6, out.size());
      for (String s : out) {
        assertFalse(s.isEmpty());
        assertFalse(
            s.startsWith("\"") || s.endsWith("\"") || !s.equals(s.strip()),
            "not stripped: [" + s + "]");
      }
      List<String> keywords = g.templates().keywords("hotel review");
      Set<Long> seeds = new HashSet<>();
      for (RecordedRequest r : server.requests()) {
        String p = prompt(r);
        assertTrue(p.contains("\"hotel review\""), p);
        assertTrue(keywords.stream().anyMatch(k -> p.contains("\"" + k + "\"")), p);
        int length = Integer.parseInt(p.replaceAll("(?s).*about (\\d+) words.*", "$1"));
        assertTrue(length >= 20 && length <= 60, "length " + length);
        assertTrue(r.json().has("seed"));
        seeds.add(r.json().path("seed").asLong());
        assertEquals(1.0, r.json().path("temperature").asDouble());
        assertEquals(256, r.json().path("max_tokens").asInt());
        assertEquals("test-model", r.json().path("model").asText());
      }
      assertEquals(6, seeds.size(), "each sample has its own seed");
      // Same seed, same samples (the test server is deterministic in prompt and seed).
      assertEquals(out, g.random("hotel review", 6, 7L));
      assertNotEquals(out, g.random("hotel review", 6, 8L));
    }
  }

  @Test
  void labelsWithOwnKeywordsUseThem(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("keywords.json"), "{\"spam\": [\"lottery win\"], \"*\": [\"misc\"]}");
    try (OpenAiGenerator g =
        new OpenAiGenerator(new OpenAiClient(fast(server).promptTemplatesDir(dir).build(), ENV))) {
      g.random("spam", 2, 1L);
      g.random("ham", 1, 1L);
      List<RecordedRequest> rs = server.requests();
      assertTrue(prompt(rs.get(0)).contains("\"lottery win\""));
      assertTrue(prompt(rs.get(1)).contains("\"lottery win\""));
      assertTrue(prompt(rs.get(2)).contains("\"misc\""));
    }
  }

  @Test
  void variationDegreeZeroMakesNoRequest() {
    try (OpenAiGenerator g = new OpenAiGenerator(new OpenAiClient(fast(server).build(), ENV))) {
      List<String> in = List.of("one text", "another text");
      assertEquals(in, g.variation(in, 0.0, 3L));
      assertEquals(0, server.requests().size());
    }
  }

  @Test
  void labelledVariationPutsTheLabelInEveryPrompt() {
    List<String> in = List.of("the judge read the verdict twice", "a lawyer walks into a bar", "objection sustained");
    try (OpenAiGenerator g = new OpenAiGenerator(new OpenAiClient(fast(server).build(), ENV))) {
      assertEquals(3, g.variation("law", in, 0.5, 5L).size());
      assertEquals(3, server.requests().size());
      for (RecordedRequest r : server.requests()) {
        assertTrue(prompt(r).contains("(law)"), prompt(r));
      }
    }
  }

  @Test
  void variationRephrasesWithAStyleOrFillsMaskedWords() {
    List<String> in = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      in.add("the staff at the front desk were friendly and the breakfast was good number " + i);
    }
    try (OpenAiGenerator g = new OpenAiGenerator(new OpenAiClient(fast(server).build(), ENV))) {
      List<String> out = g.variation(in, 0.5, 11L);
      assertEquals(16, out.size());
      int fills = 0;
      int rephrases = 0;
      List<String> styles = g.templates().styles();
      for (RecordedRequest r : server.requests()) {
        String p = prompt(r);
        String text = p.substring(p.lastIndexOf("Text:") + 5).strip();
        String[] words = text.split("\\s+");
        assertEquals(15, words.length);
        if (p.contains("blanks")) {
          fills++;
          long masked = java.util.Arrays.stream(words).filter("_"::equals).count();
          assertEquals(8, masked, "round(0.5 × 15) words masked: " + text);
        } else {
          rephrases++;
          assertTrue(styles.stream().anyMatch(p::contains), p);
          assertFalse(text.contains("_"));
        }
      }
      // 16 fair coins: P(all one way) = 2·2^-16 ≈ 3e-5; the seed is fixed, so this is stable.
      assertTrue(fills > 0 && rephrases > 0, fills + " fills, " + rephrases + " rephrases");
      for (String s : out) {
        assertFalse(s.contains("_"), "blanks filled: " + s);
        assertFalse(s.startsWith("\""));
      }
    }
  }

  @Test
  void maskingPicksTheRequestedFraction() {
    String[] words = "a b c d e f g h i j".split(" ");
    assertEquals(
        3,
        OpenAiGenerator.mask(words, 0.3, new SplittableRandom(1))
            .chars()
            .filter(c -> c == '_')
            .count());
    assertEquals(
        1,
        OpenAiGenerator.mask(words, 0.01, new SplittableRandom(1))
            .chars()
            .filter(c -> c == '_')
            .count());
    assertEquals("_ _ _ _ _ _ _ _ _ _", OpenAiGenerator.mask(words, 1.0, new SplittableRandom(1)));
  }

  @Test
  void emptyOutputIsRetriedWithANewSeed() {
    server.script("/chat/completions", Fault.emptyOutput(), Fault.emptyOutput());
    try (OpenAiGenerator g = new OpenAiGenerator(new OpenAiClient(fast(server).build(), ENV))) {
      List<String> out = g.random("x", 1, 5L);
      assertFalse(out.get(0).isEmpty());
      List<RecordedRequest> rs = server.requests();
      assertEquals(3, rs.size());
      assertEquals(prompt(rs.get(0)), prompt(rs.get(2)), "same prompt");
      assertNotEquals(rs.get(0).json().path("seed"), rs.get(1).json().path("seed"), "new seed");
    }
  }

  @Test
  void persistentEmptyOutputFailsClearly() {
    for (int i = 0; i < 4; i++) {
      server.script("/chat/completions", Fault.emptyOutput());
    }
    try (OpenAiGenerator g = new OpenAiGenerator(new OpenAiClient(fast(server).build(), ENV))) {
      IllegalStateException e =
          assertThrows(IllegalStateException.class, () -> g.variation(List.of(PRIVATE), 0.2, 1L));
      assertEquals(
          "variation 0: the model returned empty output 4 times (different seeds)", e.getMessage());
    }
  }

  @Test
  void stripRemovesQuotesAndWhitespace() {
    assertEquals("hi there", OpenAiGenerator.strip("  \"hi there\"\n"));
    assertEquals("hi", OpenAiGenerator.strip("\u201C 'hi' \u201D"));
    assertEquals("say \"x\" now", OpenAiGenerator.strip("say \"x\" now"));
    assertEquals("", OpenAiGenerator.strip(" \"\" "));
    assertEquals("", OpenAiGenerator.strip(null));
  }

  @Test
  void topTokensFromCompletionsLogprobs() {
    try (OpenAiGenerator g = new OpenAiGenerator(new OpenAiClient(fast(server).build(), ENV))) {
      String prompt = "Review: great stay. Sentiment:";
      List<TokenLogProb> top = g.topTokens(prompt, 5);
      assertEquals(5, top.size());
      List<Object[]> expected = OpenAiCompatibleServer.topLogprobs(prompt, 5);
      for (int i = 0; i < 5; i++) {
        assertEquals(expected.get(i)[0], top.get(i).token());
        assertEquals((Double) expected.get(i)[1], top.get(i).logProb(), 1e-12);
        assertTrue(top.get(i).logProb() <= 0);
        if (i > 0) {
          assertTrue(top.get(i - 1).logProb() >= top.get(i).logProb());
        }
      }
      JsonNode req = server.requests().get(0).json();
      assertTrue(server.requests().get(0).path().endsWith("/v1/completions"));
      assertEquals(5, req.path("logprobs").asInt());
      assertEquals(1, req.path("max_tokens").asInt());
      assertEquals(prompt, req.path("prompt").asText());
    }
  }

  @Test
  void topTokensFromChatLogprobs() {
    OpenAiSettings.Builder b = fast(server).logprobsApi(OpenAiSettings.LogprobsApi.CHAT);
    try (OpenAiGenerator g = new OpenAiGenerator(new OpenAiClient(b.build(), ENV))) {
      List<TokenLogProb> top = g.topTokens("Sentiment:", 3);
      assertEquals(3, top.size());
      List<Object[]> expected = OpenAiCompatibleServer.topLogprobs("Sentiment:\n", 3);
      assertEquals(expected.get(0)[0], top.get(0).token());
      JsonNode req = server.requests().get(0).json();
      assertTrue(server.requests().get(0).path().endsWith("/v1/chat/completions"));
      assertTrue(req.path("logprobs").asBoolean());
      assertEquals(3, req.path("top_logprobs").asInt());
      assertEquals(1, req.path("max_tokens").asInt());
    }
  }

  @Test
  void noRequestAsksForMoreTopLogprobsThanTheServersCap() {
    server.maxTopLogprobs(20);
    try {
      for (OpenAiSettings.LogprobsApi api : OpenAiSettings.LogprobsApi.values()) {
        // the server's 10 most likely tokens for the prompt as it sees it (chat joins messages with '\n')
        List<String> candidates = new ArrayList<>();
        for (Object[] t : OpenAiCompatibleServer.topLogprobs(api == OpenAiSettings.LogprobsApi.CHAT ? "Topic:\n" : "Topic:", 10)) {
          candidates.add((String) t[0]);
        }
        // logProbs of 10 candidates would ask for max(20, 50) = 50 tokens; the cap of 20 holds.
        try (OpenAiGenerator g = new OpenAiGenerator(new OpenAiClient(fast(server).logprobsApi(api).build(), ENV))) {
          server.resetStats();
          double[] lp = g.logProbs("Topic:", candidates);
          assertEquals(10, lp.length);
          assertTrue(Double.isFinite(lp[0]), api + ": the most likely candidate is seen");
          JsonNode req = server.requests().get(0).json();
          assertEquals(20, api == OpenAiSettings.LogprobsApi.CHAT ? req.path("top_logprobs").asInt() : req.path("logprobs").asInt());
          assertEquals(20, g.topTokens("Topic:", 100).size());
        }
      }
      // A cap above the server's is refused by the server: the test server does enforce it.
      try (OpenAiGenerator g = new OpenAiGenerator(new OpenAiClient(fast(server).maxTopLogprobs(50).build(), ENV))) {
        assertThrows(RuntimeException.class, () -> g.logProbs("Topic:", List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j")));
      }
    } finally {
      server.maxTopLogprobs(Integer.MAX_VALUE);
    }
  }

  @Test
  void theLogprobsKeysOfAJobConfigReachTheRequests() {
    org.dpsynth.config.JobConfig cfg = org.dpsynth.config.ConfigLoader.load(null, List.of("labels.names=[a]",
        "generator.type=openai", "generator.base_url=" + server.baseUrl(), "generator.model=m", "generator.max_attempts=1",
        "generator.logprobs_api=chat", "generator.max_top_logprobs=7"));
    server.resetStats();
    List<TokenLogProb> top = org.dpsynth.foundation.Models.generator(cfg.generator(), null).topTokens("Topic:", 30);
    assertEquals(7, top.size());
    assertTrue(server.requests().get(0).path().endsWith("/v1/chat/completions"));
    assertEquals(7, server.requests().get(0).json().path("top_logprobs").asInt());
    org.dpsynth.config.ConfigException bad = assertThrows(org.dpsynth.config.ConfigException.class,
        () -> org.dpsynth.config.ConfigLoader.load(null, List.of("labels.names=[a]", "generator.max_top_logprobs=0")));
    assertTrue(bad.getMessage().contains("generator.max_top_logprobs"), bad.getMessage());
  }

  @Test
  void logprobsParserAcceptsBothFormatsAndRejectsMissing() throws Exception {
    JsonNode completions =
        OpenAiClient.JSON.readTree(
            "{\"choices\":[{\"logprobs\":{\"top_logprobs\":[{\" a\":-2.0,\" b\":-0.5}]}}]}");
    List<TokenLogProb> c = OpenAiGenerator.parseTopLogprobs(completions);
    assertEquals(List.of(new TokenLogProb(" b", -0.5), new TokenLogProb(" a", -2.0)), c);
    JsonNode chat =
        OpenAiClient.JSON.readTree(
            "{\"choices\":[{\"logprobs\":{\"content\":[{\"token\":\"x\",\"logprob\":-1,"
                + "\"top_logprobs\":[{\"token\":\"x\",\"logprob\":-1.0},{\"token\":\"y\",\"logprob\":-0.1}]}]}}]}");
    assertEquals(
        List.of(new TokenLogProb("y", -0.1), new TokenLogProb("x", -1.0)),
        OpenAiGenerator.parseTopLogprobs(chat));
    JsonNode none = OpenAiClient.JSON.readTree("{\"choices\":[{\"text\":\"x\"}]}");
    assertThrows(MalformedResponseException.class, () -> OpenAiGenerator.parseTopLogprobs(none));
  }

  @Test
  void generatorSharesTheClientAndLeavesItOpen() {
    OpenAiClient client = new OpenAiClient(fast(server).build(), ENV);
    try (OpenAiGenerator g = new OpenAiGenerator(client)) {
      g.random("x", 1, 1L);
    }
    // Still usable after the generator closed.
    assertEquals(1, new OpenAiGenerator(client).random("x", 1, 2L).size());
    client.close();
  }

  @Test
  void randomSamplesAreCachedForAResumedRun(@TempDir Path cache) {
    OpenAiSettings s = fast(server).cacheDir(cache).build();
    List<String> first;
    try (OpenAiGenerator g = new OpenAiGenerator(new OpenAiClient(s, ENV))) {
      first = g.random("x", 3, 9L);
    }
    try (OpenAiGenerator g = new OpenAiGenerator(new OpenAiClient(s, ENV))) {
      assertEquals(first, g.random("x", 3, 9L));
    }
    assertEquals(3, server.requestCount("/chat/completions"));
  }
}
