package org.dpsynth.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md lists every key of the three built-in defaults files with its default per
 * method: a key added, removed or re-defaulted in code without the page (or the other way round)
 * fails here.
 */
class ConfigurationDocTest {

  private static final Path DOC = Path.of("docs", "configuration.md"); // surefire runs in the project directory
  private static final Path DEFAULTS = Path.of("src", "main", "resources", "dpsynth");
  /** The doc's default columns, in order, and each method's defaults file. */
  private static final Map<String, String> METHODS = new LinkedHashMap<>();

  static {
    METHODS.put("pe", "defaults.yaml");
    METHODS.put("fewshot", "fewshot-defaults.yaml");
    METHODS.put("dpft", "dpft-defaults.yaml");
  }

  private static final Pattern SECTION = Pattern.compile("^(\\w+):\\s*(#.*)?$");
  private static final Pattern KEY = Pattern.compile("^  (\\w+): (.*?)(\\s+#.*)?$");
  private static final Pattern ROW = Pattern.compile("^\\| `([\\w.]+)` \\|(.*)$");

  /** Dotted key -> default exactly as written in the file (the text after the colon, comment dropped). */
  static Map<String, String> defaultsAsWritten(Path file) throws IOException {
    Map<String, String> out = new LinkedHashMap<>();
    String section = null;
    for (String line : Files.readAllLines(file)) {
      Matcher s = SECTION.matcher(line);
      Matcher k = KEY.matcher(line);
      if (s.matches()) {
        section = s.group(1);
      } else if (k.matches() && section != null) {
        out.put(section + "." + k.group(1), k.group(2).strip());
      }
    }
    return out;
  }

  /** The leaf keys a YAML parser sees (empty maps and lists are leaves: they are values). */
  static TreeSet<String> leafKeys(JsonNode node, String prefix, TreeSet<String> into) {
    if (node.isObject() && node.size() > 0) {
      for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        leafKeys(e.getValue(), prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), into);
      }
    } else {
      into.add(prefix);
    }
    return into;
  }

  /** Dotted key -> the doc's default cells (pe, fewshot, dpft), "–" where a method lacks the key. */
  static Map<String, List<String>> docRows() throws IOException {
    Map<String, List<String>> rows = new LinkedHashMap<>();
    for (String line : Files.readAllLines(DOC)) {
      Matcher r = ROW.matcher(line);
      if (!r.matches()) {
        continue;
      }
      List<String> cells = new ArrayList<>();
      for (String c : r.group(2).split("(?<!\\\\)\\|")) {
        cells.add(c.strip());
      }
      assertTrue(cells.size() >= METHODS.size() + 1, "docs/configuration.md row of " + r.group(1) + ": too few cells");
      assertFalse(rows.containsKey(r.group(1)), "docs/configuration.md lists " + r.group(1) + " twice");
      assertFalse(cells.get(METHODS.size()).isEmpty(), "docs/configuration.md: " + r.group(1) + " has no meaning");
      rows.put(r.group(1), cells.subList(0, METHODS.size()));
    }
    return rows;
  }

  @Test
  void everyDefaultsKeyIsOnThePageWithItsDefaultAndNothingElseIs() throws IOException {
    Map<String, List<String>> rows = docRows();
    int column = 0;
    for (Map.Entry<String, String> method : METHODS.entrySet()) {
      Path file = DEFAULTS.resolve(method.getValue());
      Map<String, String> written = defaultsAsWritten(file);
      // The line reader must see exactly the keys a YAML parser sees, or this test would check less.
      JsonNode parsed = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
      assertEquals(leafKeys(parsed, "", new TreeSet<>()), new TreeSet<>(written.keySet()), file + ": keys");
      for (Map.Entry<String, String> e : written.entrySet()) {
        List<String> cells = rows.get(e.getKey());
        assertTrue(cells != null, "docs/configuration.md does not list " + e.getKey() + " (" + file + ")");
        assertEquals("`" + e.getValue() + "`", cells.get(column),
            "docs/configuration.md: the " + method.getKey() + " default of " + e.getKey());
      }
      for (Map.Entry<String, List<String>> row : rows.entrySet()) {
        if (!written.containsKey(row.getKey())) {
          assertEquals("–", row.getValue().get(column),
              "docs/configuration.md gives " + method.getKey() + " a key its defaults do not have: " + row.getKey());
        }
      }
      column++;
    }
  }

  @Test
  void theReaderSeesEveryKindOfDefault() throws IOException {
    Map<String, String> pe = defaultsAsWritten(DEFAULTS.resolve("defaults.yaml"));
    assertEquals("[]", pe.get("labels.names"));
    assertEquals("{}", pe.get("labels.weights"));
    assertEquals("\"\"", pe.get("input.dataset"));
    assertEquals("null", pe.get("privacy.sigma"));
    assertEquals("1.0e-6", pe.get("privacy.delta"));
    assertEquals("[0.5]", pe.get("pe.variation_degrees"));
  }
}
