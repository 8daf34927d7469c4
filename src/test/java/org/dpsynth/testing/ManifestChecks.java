package org.dpsynth.testing;

import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;

/** Checks on a public manifest shared by the methods' tests. */
public final class ManifestChecks {
  private ManifestChecks() {}

  /**
   * No field outside the echoed configuration is a timing or a wall-clock stamp: elapsed time grows
   * with the private corpus, so it belongs under private/.
   */
  public static void assertNoTimings(JsonNode manifest) {
    check("", manifest);
  }

  private static void check(String path, JsonNode node) {
    if (!node.isObject()) {
      return;
    }
    for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> f = it.next();
      String name = f.getKey().toLowerCase(Locale.ROOT);
      if (path.isEmpty() && name.equals("config")) {
        continue; // the configuration is public input (e.g. timeout_seconds), not a measurement
      }
      assertFalse(name.contains("second") || name.contains("elapsed") || name.contains("timing") || name.equals("written")
          || name.contains("time"), "timing field '" + path + f.getKey() + "' in a public manifest");
      check(path + f.getKey() + ".", f.getValue());
    }
  }
}
