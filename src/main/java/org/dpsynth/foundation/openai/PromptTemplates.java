package org.dpsynth.foundation.openai;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The prompts of Aug-PE (Xie et al., ICML 2024): a label-conditioned random prompt with a random
 * subcategory keyword and target length, and two variation prompts (rephrase in a random style;
 * fill in masked words). Loaded from a directory that may override any subset of the files, the
 * rest coming from the built-in copies on the classpath ({@value #CLASSPATH_DIR}).
 *
 * <p>Placeholders are substituted in one pass, so a value that itself contains {@code {label}}
 * (private text can contain anything) is never expanded again.
 */
public final class PromptTemplates {

  public static final String CLASSPATH_DIR = "dpsynth/prompts/";
  public static final String RANDOM = "random.txt";
  public static final String REPHRASE = "variation-rephrase.txt";
  public static final String FILL = "variation-fill.txt";
  public static final String STYLES = "styles.txt";
  public static final String KEYWORDS = "keywords.json";

  /** The files a prompts directory may contain. */
  public static final List<String> FILES = List.of(RANDOM, REPHRASE, FILL, STYLES, KEYWORDS);

  /** Keywords for labels without their own list. */
  public static final String ANY_LABEL = "*";

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z_]+)\\}");

  private final String random;
  private final String rephrase;
  private final String fill;
  private final List<String> styles;
  private final Map<String, List<String>> keywords;

  private PromptTemplates(
      String random,
      String rephrase,
      String fill,
      List<String> styles,
      Map<String, List<String>> keywords) {
    this.random = random;
    this.rephrase = rephrase;
    this.fill = fill;
    this.styles = styles;
    this.keywords = keywords;
  }

  /** Built-in templates. */
  public static PromptTemplates builtIn() {
    return load(null);
  }

  /**
   * Templates from {@code dir} where a file exists there, else the built-in copy; {@code null}
   * means all built-in. Errors name the file and what is wrong with it.
   */
  public static PromptTemplates load(Path dir) {
    if (dir != null && !Files.isDirectory(dir)) {
      throw new IllegalArgumentException("promptTemplatesDir: not a directory: " + dir);
    }
    String random = read(dir, RANDOM);
    checkPlaceholders(RANDOM, random, Set.of("label", "keyword", "length"), Set.of("label"));
    String rephrase = read(dir, REPHRASE);
    checkPlaceholders(REPHRASE, rephrase, Set.of("text", "style", "label"), Set.of("text"));
    String fill = read(dir, FILL);
    checkPlaceholders(FILL, fill, Set.of("text", "label"), Set.of("text"));
    List<String> styles = new ArrayList<>();
    for (String line : read(dir, STYLES).split("\\R")) {
      String s = line.strip();
      if (!s.isEmpty() && !s.startsWith("#")) {
        styles.add(s);
      }
    }
    if (styles.isEmpty()) {
      throw new IllegalArgumentException(source(dir, STYLES) + ": no styles (one per line)");
    }
    return new PromptTemplates(
        random, rephrase, fill, List.copyOf(styles), parseKeywords(dir, read(dir, KEYWORDS)));
  }

  /** The random (RANDOM_API) prompt. */
  public String random(String label, String keyword, int length) {
    return render(random, Map.of("label", label, "keyword", keyword, "length", "" + length));
  }

  /** Value of {@code {label}} in a variation prompt when the caller has no label. */
  public static final String NO_LABEL = "unspecified";

  /** The rephrase variation prompt for a text of no known label. */
  public String rephrase(String text, String style) {
    return rephrase(text, style, null);
  }

  /**
   * The rephrase variation prompt; {@code label} (public: a configured label name, or null) fills
   * {@code {label}} so the model keeps the variation in its class (Aug-PE's class-conditional
   * variation).
   */
  public String rephrase(String text, String style, String label) {
    return render(rephrase, Map.of("text", text, "style", style, "label", label == null ? NO_LABEL : label));
  }

  /** The fill-in-the-blanks variation prompt for a text of no known label. */
  public String fill(String maskedText) {
    return fill(maskedText, null);
  }

  /** The fill-in-the-blanks variation prompt; {@code maskedText} has {@code _} for masked words. */
  public String fill(String maskedText, String label) {
    return render(fill, Map.of("text", maskedText, "label", label == null ? NO_LABEL : label));
  }

  public List<String> styles() {
    return styles;
  }

  /** Keywords for {@code label}: its own list, else the {@code "*"} list, else the label itself. */
  public List<String> keywords(String label) {
    List<String> k = keywords.get(label);
    if (k == null) {
      k = keywords.get(ANY_LABEL);
    }
    return k == null ? List.of(label) : k;
  }

  String randomStyle(SplittableRandom rng) {
    return styles.get(rng.nextInt(styles.size()));
  }

  String randomKeyword(String label, SplittableRandom rng) {
    List<String> k = keywords(label);
    return k.get(rng.nextInt(k.size()));
  }

  static String render(String template, Map<String, String> values) {
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder out = new StringBuilder(template.length() + 256);
    while (m.find()) {
      String v = values.get(m.group(1));
      m.appendReplacement(out, Matcher.quoteReplacement(v == null ? m.group() : v));
    }
    m.appendTail(out);
    return out.toString().strip();
  }

  private static void checkPlaceholders(
      String file, String template, Set<String> known, Set<String> required) {
    Matcher m = PLACEHOLDER.matcher(template);
    Set<String> seen = new java.util.HashSet<>();
    while (m.find()) {
      if (!known.contains(m.group(1))) {
        throw new IllegalArgumentException(
            file + ": unknown placeholder {" + m.group(1) + "}; known here: " + known);
      }
      seen.add(m.group(1));
    }
    for (String r : required) {
      if (!seen.contains(r)) {
        throw new IllegalArgumentException(file + ": must contain the placeholder {" + r + "}");
      }
    }
  }

  private static Map<String, List<String>> parseKeywords(Path dir, String json) {
    String where = source(dir, KEYWORDS);
    JsonNode root;
    try {
      root = OpenAiClient.JSON.readTree(json);
    } catch (IOException e) {
      throw new IllegalArgumentException(where + ": not valid JSON");
    }
    if (root == null || !root.isObject()) {
      throw new IllegalArgumentException(
          where + ": must be an object mapping label (or \"*\") to a list of keywords");
    }
    Map<String, List<String>> out = new LinkedHashMap<>();
    Iterator<Map.Entry<String, JsonNode>> it = root.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode list = e.getValue();
      if (!list.isArray() || list.isEmpty()) {
        throw new IllegalArgumentException(
            where + ": \"" + e.getKey() + "\" must be a non-empty list of strings");
      }
      List<String> words = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        JsonNode w = list.get(i);
        if (!w.isTextual() || w.asText().isBlank()) {
          throw new IllegalArgumentException(
              where + ": \"" + e.getKey() + "\"[" + i + "] must be a non-blank string");
        }
        words.add(w.asText().strip());
      }
      out.put(e.getKey(), List.copyOf(words));
    }
    return Map.copyOf(out);
  }

  private static String source(Path dir, String name) {
    return dir != null && Files.isRegularFile(dir.resolve(name))
        ? dir.resolve(name).toString()
        : "classpath:" + CLASSPATH_DIR + name;
  }

  private static String read(Path dir, String name) {
    if (dir != null) {
      Path f = dir.resolve(name);
      if (Files.isRegularFile(f)) {
        try {
          return Files.readString(f, StandardCharsets.UTF_8);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot read prompt file " + f, e);
        }
      }
    }
    String resource = CLASSPATH_DIR + name;
    try (InputStream in = PromptTemplates.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("built-in prompt file missing from classpath: " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read classpath:" + resource, e);
    }
  }
}
