package org.dpsynth.foundation.minilm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Int8QuantizerTest {

  @Test
  void perColumnQuantisationErrorIsAtMostHalfAStep() {
    SplittableRandom rng = new SplittableRandom(7);
    int rows = 50;
    int cols = 9;
    float[] w = new float[rows * cols];
    for (int i = 0; i < w.length; i++) {
      // Columns of very different magnitude: one scale per column must follow each.
      w[i] = (float) ((rng.nextDouble() * 2 - 1) * Math.pow(10, (i % cols) - 4));
    }
    w[3] = 0; // a column may hold exact zeros
    float[] scale = Int8Quantizer.columnScales(w, rows, cols);
    byte[] q = Int8Quantizer.quantizeColumns(w, rows, cols, scale);
    for (int c = 0; c < cols; c++) {
      float maxAbs = 0;
      for (int r = 0; r < rows; r++) {
        maxAbs = Math.max(maxAbs, Math.abs(w[r * cols + c]));
      }
      assertEquals(maxAbs / 127f, scale[c], 1e-6 * maxAbs, "scale of column " + c);
      for (int r = 0; r < rows; r++) {
        float back = q[r * cols + c] * scale[c];
        assertTrue(Math.abs(back - w[r * cols + c]) <= 0.5001f * scale[c], "row " + r + " column " + c);
        assertTrue(q[r * cols + c] >= -127, "symmetric range");
      }
    }
    float[] zeros = Int8Quantizer.columnScales(new float[6], 3, 2);
    assertEquals(1f, zeros[0], "an all-zero column gets scale 1, not a division by zero");
  }

  @Test
  void rewritesEveryDenseLayerOfMiniLm() throws Exception {
    byte[] fp32;
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(MiniLmEmbedder.MODEL_RESOURCE)) {
      fp32 = in.readAllBytes();
    }
    // 6 layers: Q/K/V share one input, then attention output, FFN up, FFN down.
    List<String> inputs = Int8Quantizer.activationInputs(fp32);
    assertEquals(24, inputs.size(), inputs.toString());
    assertEquals(12, inputs.stream().filter(a -> a.contains("/LayerNorm/")).count());
    Int8Quantizer.Result r = Int8Quantizer.quantize(fp32);
    assertEquals(36, r.quantizedMatMuls(), "6 layers x 6 dense layers");
    assertEquals(12, r.keptMatMuls(), "the attention products have no constant weight");
    assertTrue(r.model().length < fp32.length * 0.7, "int8 weights: " + r.model().length + " of " + fp32.length);
    Int8Quantizer.Result none = Int8Quantizer.quantize(fp32, a -> false, Map.of());
    assertEquals(0, none.quantizedMatMuls());
    assertEquals(48, none.keptMatMuls());
  }

  @Test
  void refusesBytesThatAreNotAModel() {
    assertThrows(IllegalArgumentException.class, () -> Int8Quantizer.quantize(new byte[] {0x0a, 0x7f, 1}));
    assertThrows(IllegalArgumentException.class, () -> Int8Quantizer.quantize(new byte[] {0x08, 0x07}));
  }
}
