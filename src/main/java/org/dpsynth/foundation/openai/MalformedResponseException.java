package org.dpsynth.foundation.openai;

/**
 * Thrown by a {@link OpenAiClient.ResponseParser} when a 2xx response does not have the expected
 * shape (wrong number of embeddings, a per-item error, no choices). The client retries the request
 * within its attempt bound and never caches such a response. The message must describe the shape
 * only, never quote request or response text.
 */
public final class MalformedResponseException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public MalformedResponseException(String message) {
    super(message, null, false, false);
  }
}
