package org.dpsynth.foundation;

import java.util.List;

/**
 * Maps texts to unit vectors in a fixed-dimensional embedding space.
 *
 * <p>Implementations are batched: callers pass many texts at once. Instances may hold native
 * resources (an ONNX session, an HTTP client) and are shared by all tasks of one executor JVM, so
 * they must be thread-safe.
 */
public interface Embedder extends AutoCloseable {

  /** Dimension of every vector this embedder returns. */
  int dimension();

  /**
   * Embeds a batch of texts.
   *
   * @return one unit-norm vector per input text, in input order, and how many inputs were cut to
   *     the model's window (a private diagnostic: it is an exact count over private data)
   */
  Embeddings embed(List<String> texts);

  @Override
  default void close() {}

  /** Vectors for a batch and the number of inputs that were truncated to fit the model. */
  record Embeddings(float[][] vectors, int truncated) {}
}
