package org.dpsynth.config;

import java.util.ArrayList;
import java.util.List;

/**
 * The value checks of one configuration, collected so that the user sees every bad key at once.
 * Each message is {@code <dotted.key>: expected <form>}; a settings record adds its own checks with
 * {@link #require} and the job config throws them together with {@link #throwIfAny()}.
 */
public final class Errors {
  private final List<String> messages = new ArrayList<>();

  /** Records {@code key: expected <expected>} unless {@code ok}. */
  public void require(boolean ok, String key, String expected) {
    if (!ok) {
      messages.add(key + ": expected " + expected);
    }
  }

  /** A non-blank string. */
  public void requireText(String value, String key, String expected) {
    require(value != null && !value.isBlank(), key, expected);
  }

  /** A message that is not of the {@code expected} form. */
  public void add(String message) {
    messages.add(message);
  }

  /** The messages so far. */
  public List<String> messages() {
    return List.copyOf(messages);
  }

  /** Throws one {@link ConfigException} listing every message, if there are any. */
  public void throwIfAny() {
    if (!messages.isEmpty()) {
      throw new ConfigException("Invalid configuration:\n  " + String.join("\n  ", messages));
    }
  }
}
