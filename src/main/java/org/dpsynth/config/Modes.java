package org.dpsynth.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Modes are enums whose config spelling is the constant's name in lower case ({@code rank}, {@code
 * l2}, {@code openai}; {@code random-conv} for {@code RANDOM_CONV}, which also carries that spelling
 * in {@code @JsonProperty}); {@link ConfigLoader} reads and writes them that way.
 */
public final class Modes {
  private Modes() {}

  /** The config spelling of {@code mode}: its name in lower case, {@code _} written {@code -} ({@code random-conv}). */
  public static String key(Enum<?> mode) {
    return mode.name().toLowerCase(Locale.ROOT).replace('_', '-');
  }

  /** "one of 'a', 'b'": the spellings of a mode enum, for error messages. */
  static String oneOf(Class<?> enumType) {
    return "one of " + Arrays.stream(enumType.getEnumConstants())
        .map(c -> "'" + key((Enum<?>) c) + "'")
        .collect(Collectors.joining(", "));
  }
}
