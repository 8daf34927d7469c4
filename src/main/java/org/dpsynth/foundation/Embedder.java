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

  /**
   * Texts that a Spark partition hands to one {@link #embed} call. {@link MiniLmEmbedder} sorts a
   * call's texts by token length and cuts the sorted list into batches, so a larger window means
   * less padding; the window is fixed (not a multiple of the batch size) so that changing {@code
   * embedder.batch_size} changes only how the sorted texts are cut, never which texts are sorted
   * together. 4,096 texts hold a few MB of strings.
   */
  int PARTITION_WINDOW = 4096;

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
