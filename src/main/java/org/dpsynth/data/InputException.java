package org.dpsynth.data;

/**
 * The private corpus cannot be read as configured. Messages name the file, row and field that are
 * wrong and what was expected; they never contain record content.
 */
public final class InputException extends RuntimeException {
  public InputException(String message) {
    super(message);
  }
}
