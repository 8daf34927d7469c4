package org.dpsynth.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The generator.image_* keys: openai is an image generator with input.modality image; bad values are named. */
class ImageApiConfigTest {
  private static final Path CONF = Path.of("conf/pe-fashion-images-api.yaml");

  private static JobConfig load(String... sets) {
    return ConfigLoader.load(CONF, new ArrayList<>(List.of(sets)));
  }

  @Test
  void theExampleConfigUsesAnImagesApiWithEdits() {
    JobConfig c = load();
    assertTrue(c.input().images());
    assertEquals(JobConfig.ModelType.OPENAI, c.generator().type());
    assertEquals(JobConfig.Generator.ImageApi.EDITS, c.generator().imageApi());
    assertEquals(JobConfig.Generator.ImageApi.VARIATIONS, load("generator.image_api=variations").generator().imageApi());
  }

  @Test
  void badImageKeysAreNamed() {
    ConfigException e = assertThrows(ConfigException.class, () -> load("generator.image_size=huge", "generator.image_prompt= "));
    assertTrue(e.getMessage().contains("generator.image_size: expected 'auto' or WIDTHxHEIGHT"), e.getMessage());
    assertTrue(e.getMessage().contains("generator.image_prompt"), e.getMessage());
    e = assertThrows(ConfigException.class, () -> load("generator.image_api=sideways"));
    assertTrue(e.getMessage().contains("generator.image_api"), e.getMessage());
    assertTrue(e.getMessage().contains("edits") && e.getMessage().contains("variations"), e.getMessage());
  }
}
