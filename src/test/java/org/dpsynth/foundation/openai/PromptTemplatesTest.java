package org.dpsynth.foundation.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptTemplatesTest {

  /**
   * The built-in templates' source directory is what docs/prompts.md tells users to copy: as a
   * prompt_templates_dir it loads and renders exactly like the classpath copy.
   */
  @Test
  void theSourceDirectoryUsersCopyLoadsAsTheBuiltIns() throws Exception {
    Path source = Path.of("src", "main", "resources", "dpsynth", "prompts"); // surefire runs in the project directory
    for (String name : PromptTemplates.FILES) {
      assertTrue(Files.isRegularFile(source.resolve(name)), name);
    }
    PromptTemplates fromDir = PromptTemplates.load(source);
    PromptTemplates builtIn = PromptTemplates.builtIn();
    assertEquals(builtIn.random("hotel review", "breakfast", 42), fromDir.random("hotel review", "breakfast", 42));
    assertEquals(builtIn.rephrase("some text", "in a formal way"), fromDir.rephrase("some text", "in a formal way"));
  }

  @Test
  void builtInsRenderEveryPlaceholder() {
    PromptTemplates t = PromptTemplates.builtIn();
    String r = t.random("hotel review", "breakfast", 42);
    assertTrue(r.contains("\"hotel review\"") && r.contains("\"breakfast\"") && r.contains("42"));
    assertFalse(r.contains("{"));
    String v = t.rephrase("some text", "in a formal way");
    assertTrue(v.contains("some text") && v.contains("in a formal way"));
    assertTrue(t.fill("a _ text").endsWith("a _ text"));
    assertTrue(t.rephrase("some text", "plainly", "law").contains("(law)"), "class-conditional rephrase");
    assertTrue(t.fill("a _ text", "law").contains("(law)"), "class-conditional fill");
    assertTrue(t.fill("a _ text").contains("(" + PromptTemplates.NO_LABEL + ")"));
    assertFalse(t.rephrase("some text", "plainly", "law").contains("{"));
    assertTrue(t.styles().size() >= 5);
    assertTrue(t.keywords("any label").size() >= 5);
  }

  @Test
  void valuesAreNotExpandedTwice() {
    assertEquals(
        "x {label} y",
        PromptTemplates.render("x {text} y", Map.of("text", "{label}", "label", "L")));
    assertEquals("$1 \\ ok", PromptTemplates.render("{text}", Map.of("text", "$1 \\ ok")));
  }

  @Test
  void directoryOverridesSomeFilesAndErrorsNameTheFile(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("random.txt"), "Give me {label}.");
    Files.writeString(dir.resolve("styles.txt"), "# only one\nlike a pirate\n");
    PromptTemplates t = PromptTemplates.load(dir);
    assertEquals("Give me spam.", t.random("spam", "k", 3));
    assertEquals(List.of("like a pirate"), t.styles());
    assertTrue(t.fill("_").contains("blank"), "fill falls back to the built-in file");

    Files.writeString(dir.resolve("random.txt"), "Give me {label} about {topic}.");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> PromptTemplates.load(dir));
    assertEquals(
        "random.txt: unknown placeholder {topic}; known here: ",
        e.getMessage().replaceAll("\\[.*]", ""));

    Files.writeString(dir.resolve("random.txt"), "{label}");
    Files.writeString(dir.resolve("variation-fill.txt"), "no placeholder");
    e = assertThrows(IllegalArgumentException.class, () -> PromptTemplates.load(dir));
    assertEquals("variation-fill.txt: must contain the placeholder {text}", e.getMessage());

    Files.delete(dir.resolve("variation-fill.txt"));
    Files.writeString(dir.resolve("keywords.json"), "{\"spam\": \"not a list\"}");
    e = assertThrows(IllegalArgumentException.class, () -> PromptTemplates.load(dir));
    assertTrue(
        e.getMessage().contains("keywords.json") && e.getMessage().contains("\"spam\""),
        e.getMessage());

    assertThrows(
        IllegalArgumentException.class, () -> PromptTemplates.load(dir.resolve("missing")));
  }
}
