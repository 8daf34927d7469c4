package org.dpsynth.foundation.minilm;

import static org.dpsynth.foundation.OnnxProto.FLOAT;
import static org.dpsynth.foundation.OnnxProto.MODEL_GRAPH;
import static org.dpsynth.foundation.OnnxProto.GRAPH_NODE;
import static org.dpsynth.foundation.OnnxProto.GRAPH_INITIALIZER;
import static org.dpsynth.foundation.OnnxProto.GRAPH_OUTPUT;
import static org.dpsynth.foundation.OnnxProto.NODE_INPUT;
import static org.dpsynth.foundation.OnnxProto.NODE_OUTPUT;
import static org.dpsynth.foundation.OnnxProto.NODE_OP_TYPE;
import static org.dpsynth.foundation.OnnxProto.NODE_DOMAIN;
import static org.dpsynth.foundation.OnnxProto.TENSOR_DIMS;
import static org.dpsynth.foundation.OnnxProto.TENSOR_DATA_TYPE;
import static org.dpsynth.foundation.OnnxProto.TENSOR_FLOAT_DATA;
import static org.dpsynth.foundation.OnnxProto.TENSOR_NAME;
import static org.dpsynth.foundation.OnnxProto.TENSOR_RAW_DATA;
import static org.dpsynth.foundation.OnnxProto.INT8;
import static org.dpsynth.foundation.OnnxProto.floatValueInfo;
import static org.dpsynth.foundation.OnnxProto.floats;
import static org.dpsynth.foundation.OnnxProto.intAttribute;
import static org.dpsynth.foundation.OnnxProto.node;
import static org.dpsynth.foundation.OnnxProto.tensor;
import static org.dpsynth.foundation.OnnxProto.writeBytes;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Rewrites an fp32 ONNX model so that its dense layers run in 8-bit integers: every {@code MatMul}
 * whose second input is a constant 2-D float weight becomes the standard-operator pattern {@code
 * DynamicQuantizeLinear(A) → MatMulInteger(A_u8, W_s8) → Cast → Mul(scale_A · scale_W)}, which ONNX
 * Runtime fuses into one integer GEMM (VNNI on CPUs that have it).
 *
 * <p>Weights are quantised symmetrically <em>per output column</em> (scale = max |w| / 127 over
 * the column, zero point 0), which keeps much more precision than one scale for the whole matrix;
 * activations get one dynamic scale per call. Everything else — embedding tables, layer norms,
 * attention products, soft-max — stays fp32.
 *
 * <p>Works on the protobuf wire format directly (ModelProto → GraphProto → NodeProto/TensorProto
 * field numbers from onnx.proto), so it needs no ONNX or protobuf library; unknown fields are
 * copied unchanged.
 */
final class Int8Quantizer {
  private Int8Quantizer() {}

  /** What the rewrite did, for logs and tests. */
  record Result(byte[] model, int quantizedMatMuls, int keptMatMuls) {}

  /** Quantises every eligible MatMul, without smoothing. */
  static Result quantize(byte[] model) {
    return quantize(model, activation -> true, Map.of());
  }

  /**
   * The activation (first) inputs of the MatMuls that {@link #quantize} would rewrite, each once,
   * in graph order: what a calibration run should observe.
   */
  static List<String> activationInputs(byte[] model) {
    List<String> names = new ArrayList<>();
    for (Field f : Field.parse(model, 0, model.length)) {
      if (f.number == MODEL_GRAPH && f.wire == 2) {
        Set<String> weights = new HashSet<>();
        List<Field> fields = Field.parse(model, f.start, f.end);
        for (Field x : fields) {
          if (x.number == GRAPH_INITIALIZER) {
            Weight w = Weight.parse(model, x);
            if (w != null) {
              weights.add(w.name);
            }
          }
        }
        for (Field x : fields) {
          if (x.number == GRAPH_NODE) {
            Node n = Node.parse(model, x);
            if (n.isMatMul() && n.inputs.size() == 2 && weights.contains(n.inputs.get(1))
                && !names.contains(n.inputs.get(0))) {
              names.add(n.inputs.get(0));
            }
          }
        }
      }
    }
    return names;
  }

  /** The model with {@code names} (float tensors inside the graph) added as extra graph outputs. */
  static byte[] withOutputs(byte[] model, List<String> names) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(model.length + 4096);
    for (Field f : Field.parse(model, 0, model.length)) {
      if (f.number == MODEL_GRAPH && f.wire == 2) {
        ByteArrayOutputStream g = new ByteArrayOutputStream(f.end - f.start + 4096);
        g.write(model, f.start, f.end - f.start);
        for (String name : names) {
          writeBytes(g, GRAPH_OUTPUT, floatValueInfo(name, null));
        }
        writeBytes(out, MODEL_GRAPH, g.toByteArray());
      } else {
        f.copyTo(model, out);
      }
    }
    return out.toByteArray();
  }

  /**
   * Quantises the eligible MatMuls whose first (activation) input name passes {@code which}.
   * Activations named in {@code absMax} (largest |value| per input channel, from a calibration
   * run on public text) are smoothed first (SmoothQuant, Xiao et al. 2023, migration strength
   * 1/2): channel k of the activation is divided by s_k = sqrt(absMax_k / max|W[k,:]|) and row k
   * of every weight it feeds multiplied by s_k — the same product, but outlier channels no longer
   * set the activation's single int8 scale.
   *
   * @throws IllegalArgumentException if the bytes are not a parseable ONNX model with a graph
   */
  static Result quantize(byte[] model, Predicate<String> which, Map<String, float[]> absMax) {
    List<Field> top = Field.parse(model, 0, model.length);
    ByteArrayOutputStream out = new ByteArrayOutputStream(model.length / 3);
    int[] counts = new int[2];
    boolean sawGraph = false;
    for (Field f : top) {
      if (f.number == MODEL_GRAPH && f.wire == 2) {
        sawGraph = true;
        writeBytes(out, MODEL_GRAPH, rewriteGraph(model, f, which, absMax, counts));
      } else {
        f.copyTo(model, out);
      }
    }
    if (!sawGraph) {
      throw new IllegalArgumentException("not an ONNX model: no graph field");
    }
    return new Result(out.toByteArray(), counts[0], counts[1]);
  }

  private static byte[] rewriteGraph(
      byte[] m, Field graph, Predicate<String> which, Map<String, float[]> absMax, int[] counts) {
    List<Field> fields = Field.parse(m, graph.start, graph.end);
    Map<String, Weight> weights = new HashMap<>();
    for (Field f : fields) {
      if (f.number == GRAPH_INITIALIZER) {
        Weight w = Weight.parse(m, f);
        if (w != null) {
          weights.put(w.name, w);
        }
      }
    }
    // Weights read by anything other than a MatMul we rewrite must stay as they are.
    Map<String, Integer> otherUses = new HashMap<>();
    List<Node> nodes = new ArrayList<>();
    for (Field f : fields) {
      if (f.number == GRAPH_NODE) {
        Node n = Node.parse(m, f);
        nodes.add(n);
      }
    }
    Set<String> rewritten = new HashSet<>();
    for (Node n : nodes) {
      boolean eligible = n.isMatMul() && n.inputs.size() == 2 && weights.containsKey(n.inputs.get(1))
          && which.test(n.inputs.get(0));
      if (eligible) {
        rewritten.add(n.inputs.get(1));
      }
      for (int i = 0; i < n.inputs.size(); i++) {
        if (!(eligible && i == 1)) {
          otherUses.merge(n.inputs.get(i), 1, Integer::sum);
        }
      }
    }
    rewritten.removeIf(otherUses::containsKey);

    // Smoothing factors per activation, from its calibration range and every weight it feeds.
    Map<String, float[]> smooth = new HashMap<>();
    Map<String, float[]> weightRowScale = new HashMap<>();
    for (Map.Entry<String, float[]> e : absMax.entrySet()) {
      float[] act = e.getValue();
      float[] wMax = new float[act.length];
      List<String> fed = new ArrayList<>();
      for (Node n : nodes) {
        if (n.isMatMul() && n.inputs.size() == 2 && n.inputs.get(0).equals(e.getKey())
            && rewritten.contains(n.inputs.get(1))) {
          Weight w = weights.get(n.inputs.get(1));
          if (w.rows != act.length) {
            throw new IllegalArgumentException("calibration range of " + e.getKey() + " has " + act.length
                + " channels but weight " + w.name + " has " + w.rows + " rows");
          }
          for (int r = 0; r < w.rows; r++) {
            for (int c = 0; c < w.cols; c++) {
              wMax[r] = Math.max(wMax[r], Math.abs(w.values[r * w.cols + c]));
            }
          }
          fed.add(w.name);
        }
      }
      if (fed.isEmpty()) {
        continue;
      }
      float[] s = new float[act.length];
      for (int k = 0; k < s.length; k++) {
        double v = act[k] > 0 && wMax[k] > 0 ? Math.sqrt(act[k] / wMax[k]) : 1.0;
        s[k] = (float) Math.min(1e4, Math.max(1e-4, v));
      }
      smooth.put(e.getKey(), s);
      for (String w : fed) {
        weightRowScale.put(w, s);
      }
    }

    ByteArrayOutputStream g = new ByteArrayOutputStream(graph.end - graph.start);
    Set<String> quantizedActivations = new HashSet<>();
    for (Node n : nodes) {
      String w = n.inputs.size() == 2 ? n.inputs.get(1) : null;
      if (!n.isMatMul() || w == null || !rewritten.contains(w)) {
        if (n.isMatMul()) {
          counts[1]++;
        }
        writeBytes(g, GRAPH_NODE, n.raw);
        continue;
      }
      counts[0]++;
      String a = n.inputs.get(0);
      String y = n.outputs.get(0);
      String aq = a + "_dpsynth_u8";
      String as = a + "_dpsynth_scale";
      String az = a + "_dpsynth_zero";
      if (quantizedActivations.add(a)) {
        String source = a;
        if (smooth.containsKey(a)) {
          source = a + "_dpsynth_smoothed";
          writeBytes(g, GRAPH_NODE, node("Mul", a + "_dpsynth_smooth", List.of(a, a + "_dpsynth_inv"), List.of(source), null));
        }
        writeBytes(g, GRAPH_NODE, node("DynamicQuantizeLinear", a + "_dpsynth_dql", List.of(source), List.of(aq, as, az), null));
      }
      writeBytes(g, GRAPH_NODE, node("MatMulInteger", y + "_dpsynth_mmi", List.of(aq, w + "_dpsynth_s8", az),
          List.of(y + "_dpsynth_i32"), null));
      writeBytes(g, GRAPH_NODE, node("Cast", y + "_dpsynth_cast", List.of(y + "_dpsynth_i32"), List.of(y + "_dpsynth_f32"),
          intAttribute("to", FLOAT)));
      writeBytes(g, GRAPH_NODE, node("Mul", y + "_dpsynth_rescale", List.of(as, w + "_dpsynth_scale"),
          List.of(y + "_dpsynth_scale"), null));
      writeBytes(g, GRAPH_NODE, node("Mul", y + "_dpsynth_mul", List.of(y + "_dpsynth_f32", y + "_dpsynth_scale"),
          List.of(y), null));
    }
    for (Field f : fields) {
      if (f.number == GRAPH_NODE) {
        continue;
      }
      if (f.number == GRAPH_INITIALIZER) {
        Weight w = Weight.parse(m, f);
        if (w != null && rewritten.contains(w.name)) {
          w.writeQuantized(g, weightRowScale.get(w.name));
          continue;
        }
      }
      f.copyTo(m, g);
    }
    for (Map.Entry<String, float[]> e : smooth.entrySet()) {
      float[] s = e.getValue();
      float[] inv = new float[s.length];
      for (int k = 0; k < s.length; k++) {
        inv[k] = 1f / s[k];
      }
      writeBytes(g, GRAPH_INITIALIZER, tensor(e.getKey() + "_dpsynth_inv", FLOAT, new long[] {s.length}, floats(inv)));
    }
    return g.toByteArray();
  }

  /** A 2-D float initializer. */
  private static final class Weight {
    final String name;
    final int rows;
    final int cols;
    final float[] values;

    private Weight(String name, int rows, int cols, float[] values) {
      this.name = name;
      this.rows = rows;
      this.cols = cols;
      this.values = values;
    }

    /** The tensor as a 2-D float weight, or null if it is anything else. */
    static Weight parse(byte[] m, Field tensor) {
      String name = null;
      List<Long> dims = new ArrayList<>();
      long type = -1;
      Field raw = null;
      List<Field> floatData = new ArrayList<>();
      for (Field f : Field.parse(m, tensor.start, tensor.end)) {
        switch (f.number) {
          case TENSOR_NAME -> name = f.string(m);
          case TENSOR_DATA_TYPE -> type = f.varint;
          case TENSOR_DIMS -> dims.addAll(f.varints(m));
          case TENSOR_RAW_DATA -> raw = f;
          case TENSOR_FLOAT_DATA -> floatData.add(f);
          default -> { }
        }
      }
      if (type != FLOAT || dims.size() != 2 || name == null) {
        return null;
      }
      int rows = Math.toIntExact(dims.get(0));
      int cols = Math.toIntExact(dims.get(1));
      float[] v = new float[rows * cols];
      if (raw != null) {
        if (raw.end - raw.start != v.length * Float.BYTES) {
          throw new IllegalArgumentException("initializer " + name + ": raw_data size does not match its shape");
        }
        ByteBuffer.wrap(m, raw.start, raw.end - raw.start).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v);
      } else {
        int i = 0;
        for (Field f : floatData) {
          if (f.wire == 2) {
            ByteBuffer b = ByteBuffer.wrap(m, f.start, f.end - f.start).order(ByteOrder.LITTLE_ENDIAN);
            while (b.hasRemaining()) {
              v[i++] = b.getFloat();
            }
          } else {
            v[i++] = Float.intBitsToFloat((int) f.varint);
          }
        }
        if (i != v.length) {
          throw new IllegalArgumentException("initializer " + name + ": float_data size does not match its shape");
        }
      }
      return new Weight(name, rows, cols, v);
    }

    /**
     * Writes {@code name_dpsynth_s8} (int8, rows × cols) and {@code name_dpsynth_scale} (float,
     * cols), after multiplying row k by {@code rowScale[k]} when that is not null.
     */
    void writeQuantized(ByteArrayOutputStream g, float[] rowScale) {
      float[] w = values;
      if (rowScale != null) {
        w = new float[values.length];
        for (int r = 0; r < rows; r++) {
          for (int c = 0; c < cols; c++) {
            w[r * cols + c] = values[r * cols + c] * rowScale[r];
          }
        }
      }
      float[] scale = columnScales(w, rows, cols);
      byte[] q = quantizeColumns(w, rows, cols, scale);
      writeBytes(g, GRAPH_INITIALIZER, tensor(name + "_dpsynth_s8", INT8, new long[] {rows, cols}, q));
      writeBytes(g, GRAPH_INITIALIZER, tensor(name + "_dpsynth_scale", FLOAT, new long[] {cols}, floats(scale)));
    }
  }

  /** max |w| / 127 per column of a row-major rows × cols matrix (1 for an all-zero column). */
  static float[] columnScales(float[] w, int rows, int cols) {
    float[] scale = new float[cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        scale[c] = Math.max(scale[c], Math.abs(w[r * cols + c]));
      }
    }
    for (int c = 0; c < cols; c++) {
      scale[c] = scale[c] > 0 ? scale[c] / 127f : 1f;
    }
    return scale;
  }

  /** round(w / scale[column]), within [-127, 127]. */
  static byte[] quantizeColumns(float[] w, int rows, int cols, float[] scale) {
    byte[] q = new byte[rows * cols];
    for (int r = 0; r < rows; r++) {
      for (int c = 0; c < cols; c++) {
        long v = Math.round(w[r * cols + c] / scale[c]);
        q[r * cols + c] = (byte) Math.max(-127, Math.min(127, v));
      }
    }
    return q;
  }

  private static final class Node {
    final byte[] raw;
    final List<String> inputs = new ArrayList<>();
    final List<String> outputs = new ArrayList<>();
    String opType = "";
    String domain = "";

    private Node(byte[] raw) {
      this.raw = raw;
    }

    static Node parse(byte[] m, Field f) {
      Node n = new Node(java.util.Arrays.copyOfRange(m, f.start, f.end));
      for (Field x : Field.parse(m, f.start, f.end)) {
        switch (x.number) {
          case NODE_INPUT -> n.inputs.add(x.string(m));
          case NODE_OUTPUT -> n.outputs.add(x.string(m));
          case NODE_OP_TYPE -> n.opType = x.string(m);
          case NODE_DOMAIN -> n.domain = x.string(m);
          default -> { }
        }
      }
      return n;
    }

    boolean isMatMul() {
      return opType.equals("MatMul") && (domain.isEmpty() || domain.equals("ai.onnx"));
    }
  }

  // ---- protobuf wire format ----

  /** One field of a message: its number, wire type and either a varint value or a byte range. */
  private static final class Field {
    final int number;
    final int wire;
    final int tagStart;
    final int start;
    final int end;
    final long varint;

    private Field(int number, int wire, int tagStart, int start, int end, long varint) {
      this.number = number;
      this.wire = wire;
      this.tagStart = tagStart;
      this.start = start;
      this.end = end;
      this.varint = varint;
    }

    static List<Field> parse(byte[] b, int from, int to) {
      List<Field> out = new ArrayList<>();
      int[] pos = {from};
      while (pos[0] < to) {
        int tagStart = pos[0];
        long tag = readVarint(b, pos, to);
        int number = (int) (tag >>> 3);
        int wire = (int) (tag & 7);
        switch (wire) {
          case 0 -> {
            int s = pos[0];
            long v = readVarint(b, pos, to);
            out.add(new Field(number, wire, tagStart, s, pos[0], v));
          }
          case 1, 5 -> {
            int s = pos[0];
            pos[0] += wire == 1 ? 8 : 4;
            check(pos[0] <= to);
            long v = wire == 5 ? ByteBuffer.wrap(b, s, 4).order(ByteOrder.LITTLE_ENDIAN).getInt() : 0;
            out.add(new Field(number, wire, tagStart, s, pos[0], v));
          }
          case 2 -> {
            long len = readVarint(b, pos, to);
            check(len >= 0 && pos[0] + len <= to);
            int s = pos[0];
            pos[0] += (int) len;
            out.add(new Field(number, wire, tagStart, s, pos[0], 0));
          }
          default -> throw new IllegalArgumentException("not an ONNX model: protobuf wire type " + wire);
        }
      }
      return out;
    }

    String string(byte[] b) {
      return new String(b, start, end - start, StandardCharsets.UTF_8);
    }

    /** A repeated int64: one unpacked value, or a packed run. */
    List<Long> varints(byte[] b) {
      List<Long> v = new ArrayList<>();
      if (wire == 0) {
        v.add(varint);
      } else {
        int[] pos = {start};
        while (pos[0] < end) {
          v.add(readVarint(b, pos, end));
        }
      }
      return v;
    }

    void copyTo(byte[] b, ByteArrayOutputStream out) {
      out.write(b, tagStart, end - tagStart);
    }
  }

  private static void check(boolean ok) {
    if (!ok) {
      throw new IllegalArgumentException("not an ONNX model: truncated protobuf");
    }
  }

  private static long readVarint(byte[] b, int[] pos, int to) {
    long r = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      check(pos[0] < to);
      int x = b[pos[0]++] & 0xff;
      r |= (long) (x & 0x7f) << shift;
      if (x < 0x80) {
        return r;
      }
    }
    throw new IllegalArgumentException("not an ONNX model: bad varint");
  }
}
