package org.dpsynth.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class ChamferDistanceTest {
  @Test
  void isZeroForTheSameSetAndAveragesBothDirections() {
    float[][] a = {{1, 0}, {0, 1}};
    assertEquals(0, ChamferDistance.between(a, a), 1e-12);
    float[][] b = {{1, 0}};
    // a -> b: (0 + 1) / 2 = 0.5; b -> a: 0; symmetric: 0.25.
    assertEquals(0.5, ChamferDistance.oneWay(a, b), 1e-12);
    assertEquals(0.25, ChamferDistance.between(a, b), 1e-12);
    assertThrows(IllegalArgumentException.class, () -> ChamferDistance.between(a, new float[0][]));
  }
}
