package org.dpsynth.foundation.openai;

/**
 * A request to an OpenAI-compatible endpoint failed for good: a non-retryable status, or the
 * attempt bound was spent. The message names the method, path, attempts and last status; it never
 * contains the request body (prompts hold private text), the response text, or the API key.
 */
public final class OpenAiApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final String path;
  private final int attempts;
  private final int lastStatus;

  OpenAiApiException(String message, String path, int attempts, int lastStatus, Throwable cause) {
    super(message, cause);
    this.path = path;
    this.attempts = attempts;
    this.lastStatus = lastStatus;
  }

  /** URL path of the failed request, e.g. {@code /v1/embeddings}. */
  public String path() {
    return path;
  }

  /** Attempts made, including the first. */
  public int attempts() {
    return attempts;
  }

  /** HTTP status of the last response, or -1 if the last attempt got none (timeout, I/O error). */
  public int lastStatus() {
    return lastStatus;
  }
}
