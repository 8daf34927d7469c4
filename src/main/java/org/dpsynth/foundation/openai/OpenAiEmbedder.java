package org.dpsynth.foundation.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.dpsynth.foundation.Embedder;

/**
 * {@link Embedder} over {@code POST /embeddings} of an OpenAI-compatible API. Texts go out in
 * batches of {@code batchSize} (in parallel up to the client's concurrency bound); vectors come
 * back in input order, re-normalised to unit L2 norm. A batch whose response has the wrong number
 * of items, a per-item error or ragged dimensions is retried within the client's attempt bound. A
 * zero-norm or non-finite vector is an {@link IllegalStateException} naming the batch and item
 * index, never the text.
 */
public final class OpenAiEmbedder implements Embedder {

  /** Public, fixed text used once to discover the model's native dimension. */
  static final String DIMENSION_PROBE = "dimension probe";

  private final OpenAiClient client;
  private final boolean ownsClient;
  private final OpenAiSettings settings;
  private volatile int dimension;

  /** An embedder with its own client (API key from {@code System.getenv}). */
  public OpenAiEmbedder(OpenAiSettings settings) {
    this(new OpenAiClient(settings), true);
  }

  /**
   * An embedder sharing {@code client} (and so its concurrency bound); closing it leaves the client
   * open.
   */
  public OpenAiEmbedder(OpenAiClient client) {
    this(client, false);
  }

  private OpenAiEmbedder(OpenAiClient client, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.settings = client.settings();
    this.dimension = settings.embeddingDimensions();
  }

  @Override
  public int dimension() {
    if (dimension == 0) {
      embed(List.of(DIMENSION_PROBE)); // sets dimension
    }
    return dimension;
  }

  @Override
  public Embeddings embed(List<String> texts) {
    int n = texts.size();
    if (n == 0) {
      return new Embeddings(new float[0][], 0);
    }
    int maxChars = settings.embeddingMaxChars();
    List<String> inputs = new ArrayList<>(n);
    int truncated = 0;
    for (int i = 0; i < n; i++) {
      String t = texts.get(i);
      if (t == null) {
        throw new IllegalArgumentException("texts[" + i + "] is null");
      }
      if (t.length() > maxChars) {
        int end = Character.isHighSurrogate(t.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
        t = t.substring(0, end);
        truncated++;
      }
      inputs.add(t);
    }
    int batchSize = settings.batchSize();
    List<Supplier<float[][]>> batches = new ArrayList<>();
    for (int start = 0, b = 0; start < n; start += batchSize, b++) {
      List<String> batch = inputs.subList(start, Math.min(n, start + batchSize));
      int batchIndex = b;
      batches.add(() -> embedBatch(batchIndex, batch));
    }
    float[][] out = new float[n][];
    int i = 0;
    for (float[][] vectors : client.inParallel(batches)) {
      for (float[] v : vectors) {
        out[i++] = v;
      }
    }
    return new Embeddings(out, truncated);
  }

  private float[][] embedBatch(int batchIndex, List<String> batch) {
    ObjectNode request = client.newRequest();
    ArrayNode input = request.putArray("input");
    batch.forEach(input::add);
    request.put("encoding_format", "float");
    if (settings.embeddingDimensions() > 0) {
      request.put("dimensions", settings.embeddingDimensions());
    }
    float[][] vectors =
        client.post(OpenAiClient.EMBEDDINGS, request, r -> parse(r, batchIndex, batch.size()));
    int d = vectors[0].length;
    synchronized (this) {
      if (dimension == 0) {
        dimension = d;
      }
    }
    if (d != dimension) {
      throw new IllegalStateException(
          "embedding batch " + batchIndex + ": dimension " + d + ", expected " + dimension);
    }
    return vectors;
  }

  /**
   * Validates one embeddings response: shape problems are {@link MalformedResponseException}
   * (retried), bad values are {@link IllegalStateException} (not retried).
   */
  static float[][] parse(JsonNode response, int batchIndex, int expected) {
    String where = "embedding batch " + batchIndex;
    JsonNode data = response.get("data");
    if (data == null || !data.isArray()) {
      throw new MalformedResponseException(where + ": response has no 'data' array");
    }
    if (data.size() != expected) {
      throw new MalformedResponseException(
          where + ": " + data.size() + " embeddings for " + expected + " inputs");
    }
    float[][] out = new float[expected][];
    int dim = -1;
    for (int pos = 0; pos < expected; pos++) {
      JsonNode item = data.get(pos);
      if (item.hasNonNull("error")) {
        throw new MalformedResponseException(where + ": item " + pos + " reported an error");
      }
      JsonNode idx = item.get("index");
      int index = idx == null ? pos : idx.asInt(-1);
      if (idx != null && !idx.canConvertToInt() || index < 0 || index >= expected) {
        throw new MalformedResponseException(where + ": item " + pos + " has a bad index");
      }
      if (out[index] != null) {
        throw new MalformedResponseException(where + ": index " + index + " appears twice");
      }
      JsonNode emb = item.get("embedding");
      if (emb == null || !emb.isArray() || emb.isEmpty()) {
        throw new MalformedResponseException(
            where + ": item " + index + " has no float embedding array");
      }
      if (dim < 0) {
        dim = emb.size();
      } else if (emb.size() != dim) {
        throw new MalformedResponseException(where + ": vectors of different dimensions");
      }
      double[] v = new double[dim];
      double sq = 0;
      for (int j = 0; j < dim; j++) {
        JsonNode x = emb.get(j);
        if (!x.isNumber()) {
          throw new MalformedResponseException(where + ": item " + index + " has a non-number");
        }
        v[j] = x.asDouble();
        sq += v[j] * v[j];
      }
      double norm = Math.sqrt(sq);
      if (!Double.isFinite(norm)) {
        throw new IllegalStateException(
            where + ", item " + index + ": vector has a non-finite value (NaN or infinity)");
      }
      if (norm == 0) {
        throw new IllegalStateException(where + ", item " + index + ": zero-norm vector");
      }
      float[] f = new float[dim];
      for (int j = 0; j < dim; j++) {
        f[j] = (float) (v[j] / norm);
      }
      out[index] = f;
    }
    return out;
  }

  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }

  @Override
  public String toString() {
    return "OpenAiEmbedder[" + client + "]";
  }
}
