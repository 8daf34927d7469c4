package org.dpsynth.foundation.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

class OpenAiSettingsTest {

  private static OpenAiSettings.Builder valid() {
    return OpenAiSettings.builder("http://127.0.0.1:8080/v1/", "m");
  }

  private static String error(UnaryOperator<OpenAiSettings.Builder> change) {
    return assertThrows(IllegalArgumentException.class, () -> change.apply(valid()).build())
        .getMessage();
  }

  @Test
  void defaultsAreValidAndBaseUrlIsNormalised() {
    OpenAiSettings s = valid().build();
    assertEquals("http://127.0.0.1:8080/v1", s.baseUrl());
    assertEquals(OpenAiSettings.LogprobsApi.COMPLETIONS, s.logprobsApi());
    assertEquals(s, s.toBuilder().build());
  }

  @Test
  void serialisesForSparkClosuresIncludingPaths() throws Exception {
    OpenAiSettings s =
        valid()
            .cacheDir(java.nio.file.Path.of("/tmp/run/private/cache"))
            .promptTemplatesDir(java.nio.file.Path.of("src/main/resources/dpsynth/prompts"))
            .apiKeyEnv("K")
            .build();
    var bytes = new java.io.ByteArrayOutputStream();
    try (var out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(s);
    }
    try (var in =
        new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(s, in.readObject());
    }
  }

  @Test
  void errorsNameTheField() {
    assertTrue(error(b -> b.baseUrl(null)).startsWith("baseUrl:"));
    assertTrue(error(b -> b.baseUrl("ftp://x/v1")).startsWith("baseUrl:"));
    assertTrue(error(b -> b.baseUrl("http://x/v1?api-version=1")).startsWith("baseUrl:"));
    assertTrue(error(b -> b.model(" ")).startsWith("model:"));
    assertTrue(error(b -> b.maxConcurrency(0)).startsWith("maxConcurrency:"));
    assertTrue(error(b -> b.maxAttempts(0)).startsWith("maxAttempts:"));
    assertTrue(error(b -> b.requestTimeout(Duration.ZERO)).startsWith("requestTimeout:"));
    assertTrue(error(b -> b.initialBackoff(Duration.ofSeconds(-1))).startsWith("initialBackoff:"));
    assertTrue(error(b -> b.initialBackoff(Duration.ofMinutes(5))).startsWith("initialBackoff:"));
    assertTrue(error(b -> b.maxBackoff(null)).startsWith("maxBackoff:"));
    assertTrue(error(b -> b.batchSize(0)).startsWith("batchSize:"));
    assertTrue(error(b -> b.batchSize(5000)).startsWith("batchSize:"));
    assertTrue(error(b -> b.temperature(2.5)).startsWith("temperature:"));
    assertTrue(error(b -> b.temperature(Double.NaN)).startsWith("temperature:"));
    assertTrue(error(b -> b.maxTokens(0)).startsWith("maxTokens:"));
    assertTrue(error(b -> b.targetWords(0)).startsWith("targetWords:"));
    assertTrue(error(b -> b.embeddingDimensions(-1)).startsWith("embeddingDimensions:"));
    assertTrue(error(b -> b.embeddingMaxChars(0)).startsWith("embeddingMaxChars:"));
  }

  @Test
  void aPastedKeyOrCredentialIsRejectedWithoutEchoingIt() {
    String key = "sk-proj-AbC123/xyz";
    String m = error(b -> b.apiKeyEnv(key));
    assertTrue(m.startsWith("apiKeyEnv:"), m);
    assertFalse(m.contains(key), m);
    String m2 = error(b -> b.baseUrl("http://user:hunter2@127.0.0.1/v1"));
    assertTrue(m2.startsWith("baseUrl:"), m2);
    assertFalse(m2.contains("hunter2"), m2);
    assertEquals("OPENAI_API_KEY", valid().apiKeyEnv("OPENAI_API_KEY").build().apiKeyEnv());
  }
}
