package org.dpsynth.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.dpsynth.pe.NearestNeighbourKernel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PeersBenchmarkTest {
  @TempDir Path dir;

  @Test
  void floatsAreRawLittleEndianAsNumpyReadsThem() throws IOException {
    Path p = dir.resolve("x.f32");
    PeersBenchmark.writeFloats(p, new float[] {1f, -2.5f});
    // 1.0f = 0x3F800000, -2.5f = 0xC0200000, least significant byte first.
    assertArrayEquals(new byte[] {0, 0, (byte) 0x80, 0x3F, 0, 0, 0x20, (byte) 0xC0}, Files.readAllBytes(p));
    assertArrayEquals(new float[] {1f, -2.5f}, PeersBenchmark.readFloats(p, 2));
  }

  @Test
  void intsAreRawLittleEndian() throws IOException {
    Path p = dir.resolve("x.i32");
    PeersBenchmark.writeInts(p, new int[] {1, 258});
    assertArrayEquals(new byte[] {1, 0, 0, 0, 2, 1, 0, 0}, Files.readAllBytes(p));
  }

  @Test
  void readRefusesAFileOfAnotherShape() throws IOException {
    Path p = dir.resolve("x.f32");
    PeersBenchmark.writeFloats(p, new float[6]);
    assertThrows(IOException.class, () -> PeersBenchmark.readFloats(p, 5));
    assertThrows(IOException.class, () -> PeersBenchmark.readFloats(p, 7));
  }

  @Test
  void passInJobChunksFindsTheNearestSampleOfEveryRow() {
    SplittableRandom rng = new SplittableRandom(3);
    int n = PeersBenchmark.JOB_CHUNK + 37;
    int m = 50;
    int dim = 16;
    float[] q = VoteKernelBenchmark.unitRows(rng, n, dim);
    float[] s = VoteKernelBenchmark.unitRows(rng, m, dim);
    int[] nearest = new int[n];
    NearestNeighbourKernel.PackedSamples packed = NearestNeighbourKernel.pack(s, PeersBenchmark.sqNorms(s, m, dim), m, dim);
    PeersBenchmark.pass(q, n, dim, packed, NearestNeighbourKernel.Distance.COSINE, nearest);
    int[] nearestL2 = new int[n];
    PeersBenchmark.pass(q, n, dim, packed, NearestNeighbourKernel.Distance.L2, nearestL2);
    for (int r = 0; r < n; r++) {
      int best = 0;
      double bestDot = Double.NEGATIVE_INFINITY;
      for (int j = 0; j < m; j++) {
        double d = 0;
        for (int i = 0; i < dim; i++) {
          d += (double) q[r * dim + i] * s[j * dim + i];
        }
        if (d > bestDot) {
          bestDot = d;
          best = j;
        }
      }
      assertEquals(best, nearest[r], "row " + r);
      // Unit rows: the smallest Euclidean distance is the largest dot product.
      assertEquals(best, nearestL2[r], "row " + r + " (l2)");
    }
  }

  @Test
  void runWritesTheSharedFilesAndTheVotes() throws IOException {
    PeersBenchmark.run(dir, 300, 20, 8, 1, 5);
    assertEquals("300 20 8", Files.readString(dir.resolve("shape.txt")).trim());
    assertEquals(300L * 8 * 4, Files.size(dir.resolve("private.f32")));
    assertEquals(20L * 8 * 4, Files.size(dir.resolve("synthetic.f32")));
    assertEquals(300L * 4, Files.size(dir.resolve("dpsynth.i32")));
    assertEquals(1, Files.readAllLines(dir.resolve("dpsynth.txt")).size());
    assertEquals(300L * 4, Files.size(dir.resolve("dpsynth_l2.i32")));
    assertEquals(1, Files.readAllLines(dir.resolve("dpsynth_l2.txt")).size());
  }
}
