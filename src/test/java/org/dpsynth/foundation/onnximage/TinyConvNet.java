package org.dpsynth.foundation.onnximage;

import static org.dpsynth.foundation.OnnxProto.FLOAT;
import static org.dpsynth.foundation.OnnxProto.GRAPH_INITIALIZER;
import static org.dpsynth.foundation.OnnxProto.GRAPH_INPUT;
import static org.dpsynth.foundation.OnnxProto.GRAPH_NODE;
import static org.dpsynth.foundation.OnnxProto.GRAPH_OUTPUT;
import static org.dpsynth.foundation.OnnxProto.MODEL_GRAPH;
import static org.dpsynth.foundation.OnnxProto.floatValueInfo;
import static org.dpsynth.foundation.OnnxProto.floats;
import static org.dpsynth.foundation.OnnxProto.node;
import static org.dpsynth.foundation.OnnxProto.tensor;
import static org.dpsynth.foundation.OnnxProto.writeBytes;
import static org.dpsynth.foundation.OnnxProto.writeString;
import static org.dpsynth.foundation.OnnxProto.writeVarintField;

import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A small ONNX image model written byte by byte for tests (nothing downloaded): {@code pixels [N, 3,
 * S, S] → Conv(F filters 3×3, bias) → Relu ("maps", [N, F, S−2, S−2]) → GlobalAveragePool →
 * Flatten ("features", [N, F])}, with seeded weights, plus the same network in plain Java.
 */
public final class TinyConvNet {
  public static final int FILTERS = 8;
  public static final int SIDE = 16;
  static final int K = 3;

  final float[] weights = new float[FILTERS * 3 * K * K];
  final float[] bias = new float[FILTERS];

  public TinyConvNet(long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    for (int i = 0; i < weights.length; i++) {
      weights[i] = (float) (rng.nextGaussian() * 0.3);
    }
    for (int f = 0; f < FILTERS; f++) {
      bias[f] = (float) (0.05 + 0.1 * rng.nextDouble());
    }
  }

  /** The ONNX model: outputs "features" (first) and "maps". */
  public byte[] onnx() {
    return model(List.of(
        node("Conv", "conv", List.of("pixels", "w", "b"), List.of("conv"), null),
        node("Relu", "relu", List.of("conv"), List.of("maps"), null),
        node("GlobalAveragePool", "gap", List.of("maps"), List.of("gap"), null),
        node("Flatten", "flatten", List.of("gap"), List.of("features"), null)),
        List.of(tensor("w", FLOAT, new long[] {FILTERS, 3, K, K}, floats(weights)),
            tensor("b", FLOAT, new long[] {FILTERS}, floats(bias))),
        floatValueInfo("pixels", new long[] {-1, 3, SIDE, SIDE}),
        List.of(floatValueInfo("features", new long[] {-1, FILTERS}),
            floatValueInfo("maps", new long[] {-1, FILTERS, SIDE - K + 1, SIDE - K + 1})));
  }

  /** A one-node model (Relu) whose input has the given shape (−1 = open): for inputs that do not fit. */
  public static byte[] reluOn(long[] inputShape) {
    return model(List.of(node("Relu", "relu", List.of("x"), List.of("y"), null)), List.of(),
        floatValueInfo("x", inputShape), List.of(floatValueInfo("y", inputShape)));
  }

  private static byte[] model(List<byte[]> nodes, List<byte[]> initializers, byte[] input, List<byte[]> outputs) {
    ByteArrayOutputStream g = new ByteArrayOutputStream();
    for (byte[] n : nodes) {
      writeBytes(g, GRAPH_NODE, n);
    }
    writeString(g, 2, "tiny"); // GraphProto.name
    for (byte[] t : initializers) {
      writeBytes(g, GRAPH_INITIALIZER, t);
    }
    writeBytes(g, GRAPH_INPUT, input);
    for (byte[] o : outputs) {
      writeBytes(g, GRAPH_OUTPUT, o);
    }
    ByteArrayOutputStream opset = new ByteArrayOutputStream();
    writeString(opset, 1, ""); // OperatorSetIdProto.domain
    writeVarintField(opset, 2, 13); // OperatorSetIdProto.version
    ByteArrayOutputStream m = new ByteArrayOutputStream();
    writeVarintField(m, 1, 8); // ModelProto.ir_version
    writeBytes(m, 8, opset.toByteArray()); // ModelProto.opset_import
    writeBytes(m, MODEL_GRAPH, g.toByteArray());
    return m.toByteArray();
  }

  /** The network in plain Java on one NCHW input {@code x} of shape [3, SIDE, SIDE]: the F features. */
  public float[] features(float[] x) {
    int out = SIDE - K + 1;
    float[] f = new float[FILTERS];
    for (int o = 0; o < FILTERS; o++) {
      double sum = 0;
      for (int y = 0; y < out; y++) {
        for (int xx = 0; xx < out; xx++) {
          double s = bias[o];
          for (int c = 0; c < 3; c++) {
            for (int ky = 0; ky < K; ky++) {
              for (int kx = 0; kx < K; kx++) {
                s += weights[((o * 3 + c) * K + ky) * K + kx] * x[(c * SIDE + y + ky) * SIDE + xx + kx];
              }
            }
          }
          sum += Math.max(0, s);
        }
      }
      f[o] = (float) (sum / (out * out));
    }
    return f;
  }
}
