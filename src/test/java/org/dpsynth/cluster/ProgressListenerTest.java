package org.dpsynth.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.SparkContext;
import org.apache.spark.api.java.JavaSparkContext;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

/** Progress lines from real Spark jobs in local mode (the test JVM's one session). */
class ProgressListenerTest {

  @Test
  void slicesAddUpAsParallelizeCutsThem() {
    for (int n : new int[] {0, 1, 7, 100, 401}) {
      for (int slices : new int[] {1, 3, 4, 16}) {
        long sum = 0;
        for (int i = 0; i < slices; i++) {
          long size = ProgressListener.sliceSize(n, slices, i);
          assertTrue(size == n / slices || size == n / slices + 1, n + "/" + slices);
          sum += size;
        }
        assertEquals(n, sum, n + " in " + slices + " slices");
      }
    }
  }

  @Test
  void aMarkedPhaseReportsModelCallsDoneOfPlannedAndOthersPartitionsOnly() throws Exception {
    SparkContext sc = SparkTestSession.get().sparkContext();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream console = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    ProgressListener listener = new ProgressListener(console, 0); // interval 0: a line per task
    sc.addSparkListener(listener);
    try {
      JavaSparkContext jsc = JavaSparkContext.fromSparkContext(sc);
      List<Integer> calls = new ArrayList<>();
      for (int i = 0; i < 10; i++) {
        calls.add(i);
      }
      try (ProgressListener.Phase p = ProgressListener.phase(sc, "model calls (variations)", calls.size(), "variations", 4)) {
        jsc.parallelize(calls, 4).map(x -> x + 1).collect();
      }
      jsc.parallelize(calls, 3).map(x -> x * 2).collect(); // unmarked: partitions only
      sc.listenerBus().waitUntilEmpty();
    } finally {
      sc.removeSparkListener(listener);
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("progress: model calls (variations): 4/4 partitions, 10/10 variations"), out);
    assertTrue(out.lines().anyMatch(l -> l.matches("progress: stage \\d+ \\(collect at .*\\): 3/3 partitions, [0-9.]+ partitions/s, \\d+s")), out);
    assertFalse(out.lines().filter(l -> l.contains("stage ")).anyMatch(l -> l.contains("variations")), out);
  }

  @Test
  void shortStagesPrintNothingWithTheDefaultInterval() throws Exception {
    SparkContext sc = SparkTestSession.get().sparkContext();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ProgressListener listener = new ProgressListener(new PrintStream(bytes, true, StandardCharsets.UTF_8), 3600);
    sc.addSparkListener(listener);
    try {
      JavaSparkContext.fromSparkContext(sc).parallelize(List.of(1, 2, 3), 3).count();
      sc.listenerBus().waitUntilEmpty();
    } finally {
      sc.removeSparkListener(listener);
    }
    assertEquals("", bytes.toString(StandardCharsets.UTF_8));
  }
}
