package org.dpsynth.config;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Loads a {@link JobConfig}: built-in defaults, then the user's YAML or JSON file, then {@code
 * --set key=value} overrides, bound with Jackson. Unknown keys and values of the wrong type fail
 * with the dotted key and the expected form.
 */
public final class ConfigLoader {
  static final String DEFAULTS_RESOURCE = "dpsynth/defaults.yaml";

  private static final ObjectMapper YAML =
      new ObjectMapper(new YAMLFactory())
          .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
          .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
          .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
          .enable(MapperFeature.ACCEPT_CASE_INSENSITIVE_ENUMS)
          .registerModule(modesInLowerCase());

  private ConfigLoader() {}

  /** Writes every mode enum as its config spelling ({@link Modes#key}); reading ignores case. */
  @SuppressWarnings({"rawtypes", "unchecked"})
  private static SimpleModule modesInLowerCase() {
    return new SimpleModule("dpsynth-modes").addSerializer(Enum.class, new StdSerializer<Enum>(Enum.class) {
      @Override
      public void serialize(Enum mode, JsonGenerator out, SerializerProvider provider) throws IOException {
        out.writeString(Modes.key(mode));
      }
    });
  }

  /** The PE job configuration from {@code file} (may be null: defaults only) with overrides applied. */
  public static JobConfig load(Path file, List<String> overrides) {
    return load(JobConfig.class, DEFAULTS_RESOURCE, file, overrides).validate();
  }

  /**
   * Any job's configuration: the classpath resource {@code defaultsResource}, then {@code file},
   * then {@code overrides}, bound to {@code type} (snake_case keys; unknown keys and wrong types
   * are errors naming the dotted key). The caller validates values.
   */
  public static <T> T load(Class<T> type, String defaultsResource, Path file, List<String> overrides) {
    ObjectNode tree = defaultsTree(defaultsResource);
    if (file != null) {
      if (!Files.isRegularFile(file)) {
        throw new ConfigException("Config file not found: " + file);
      }
      JsonNode user;
      try {
        user = YAML.readTree(file.toFile());
      } catch (JsonProcessingException e) {
        throw new ConfigException("Config file " + file + " is not valid YAML/JSON at line "
            + e.getLocation().getLineNr() + ": " + e.getOriginalMessage());
      } catch (IOException e) {
        throw new ConfigException("Cannot read config file " + file + ": " + e.getMessage(), e);
      }
      if (user != null && !user.isMissingNode() && !user.isNull()) {
        if (!user.isObject()) {
          throw new ConfigException("Config file " + file + " must hold a mapping of keys at its top level");
        }
        merge(tree, (ObjectNode) user, "");
      }
    }
    for (String override : overrides == null ? List.<String>of() : overrides) {
      applyOverride(tree, override);
    }
    return bind(type, tree, file == null ? "built-in defaults" : file.toString());
  }

  /** The built-in defaults as a tree (a copy each call). */
  static ObjectNode defaultsTree(String resource) {
    try (InputStream in = ConfigLoader.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("Missing classpath resource " + resource);
      }
      return (ObjectNode) YAML.readTree(in);
    } catch (IOException e) {
      throw new IllegalStateException("Cannot read " + resource, e);
    }
  }

  /** Applies {@code a.b.c=value}; the value is parsed as a YAML scalar or flow list/map. */
  static void applyOverride(ObjectNode tree, String override) {
    int eq = override.indexOf('=');
    if (eq <= 0) {
      throw new ConfigException("--set expects key=value (e.g. --set privacy.epsilon=4), got '" + override + "'");
    }
    String key = override.substring(0, eq).trim();
    String raw = override.substring(eq + 1);
    JsonNode value;
    try {
      value = raw.isEmpty() ? YAML.getNodeFactory().nullNode() : YAML.readTree(raw);
      if (value == null || value.isMissingNode()) {
        value = YAML.getNodeFactory().nullNode();
      }
    } catch (JsonProcessingException e) {
      value = YAML.getNodeFactory().textNode(raw);
    }
    String[] parts = key.split("\\.");
    ObjectNode node = tree;
    for (int i = 0; i < parts.length - 1; i++) {
      JsonNode child = node.get(parts[i]);
      if (child == null || child.isNull()) {
        child = node.putObject(parts[i]);
      } else if (!child.isObject()) {
        throw new ConfigException("--set " + key + ": '" + String.join(".", List.of(parts).subList(0, i + 1))
            + "' is a value, not a section");
      }
      node = (ObjectNode) child;
    }
    JsonNode existing = node.get(parts[parts.length - 1]);
    if (existing != null && existing.isObject() && !value.isObject()) {
      throw new ConfigException("--set " + key + ": '" + key + "' is a section; set one of its keys: "
          + fieldNames(existing));
    }
    node.set(parts[parts.length - 1], value);
  }

  private static void merge(ObjectNode base, ObjectNode over, String prefix) {
    Iterator<Map.Entry<String, JsonNode>> it = over.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode existing = base.get(e.getKey());
      if (existing != null && existing.isObject() && e.getValue().isObject()) {
        merge((ObjectNode) existing, (ObjectNode) e.getValue(), prefix + e.getKey() + ".");
      } else {
        base.set(e.getKey(), e.getValue());
      }
    }
  }

  private static <T> T bind(Class<T> type, ObjectNode tree, String source) {
    try {
      return YAML.treeToValue(tree, type);
    } catch (UnrecognizedPropertyException e) {
      String key = dotted(e);
      String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream()
          .map(Object::toString).sorted().collect(Collectors.joining(", "));
      throw new ConfigException("Unknown config key '" + key + "' (in " + source + "); known keys here: " + known);
    } catch (InvalidFormatException e) {
      throw new ConfigException("Config key '" + dotted(e) + "' (in " + source + "): expected "
          + expectedForm(e.getTargetType()) + ", got '" + e.getValue() + "'");
    } catch (MismatchedInputException e) {
      throw new ConfigException("Config key '" + dotted(e) + "' (in " + source + "): expected "
          + expectedForm(e.getTargetType()));
    } catch (JsonProcessingException e) {
      throw new ConfigException("Config (in " + source + ") could not be read at '" + dotted(e) + "': " + e.getOriginalMessage());
    }
  }

  private static String dotted(JsonProcessingException e) {
    if (!(e instanceof JsonMappingException m)) {
      return "?";
    }
    List<String> parts = new ArrayList<>();
    for (JsonMappingException.Reference ref : m.getPath()) {
      if (ref.getFieldName() != null) {
        parts.add(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        parts.add("[" + ref.getIndex() + "]");
      }
    }
    return String.join(".", parts).replace(".[", "[");
  }

  private static String expectedForm(Class<?> type) {
    if (type == null) {
      return "a value of another form";
    }
    if (type == int.class || type == Integer.class || type == long.class || type == Long.class) {
      return "an integer";
    }
    if (type == double.class || type == Double.class || type == float.class) {
      return "a number";
    }
    if (type == boolean.class || type == Boolean.class) {
      return "true or false";
    }
    if (type == String.class) {
      return "a string";
    }
    if (type.isEnum()) {
      return Modes.oneOf(type);
    }
    if (List.class.isAssignableFrom(type)) {
      return "a list";
    }
    if (Map.class.isAssignableFrom(type) || type.isRecord()) {
      return "a mapping of keys";
    }
    return "a " + type.getSimpleName();
  }

  private static String fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return String.join(", ", names);
  }

  /** The effective configuration as a JSON tree (for the manifest). */
  public static JsonNode toTree(Object config) {
    return YAML.valueToTree(config);
  }
}
