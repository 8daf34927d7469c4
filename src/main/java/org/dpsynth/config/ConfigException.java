package org.dpsynth.config;

/** A job configuration is unreadable or invalid; the message names the key and the expected form. */
public final class ConfigException extends RuntimeException {
  public ConfigException(String message) {
    super(message);
  }

  public ConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
