package org.dpsynth.pe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.JobConfig;
import org.dpsynth.foundation.Embedder;
import org.dpsynth.foundation.minilm.MiniLmEmbedder;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;

/**
 * Embedding through Spark partitions: each partition's texts go to the embedder in windows of
 * {@link Embedder#PARTITION_WINDOW}, sorted by token length into batches and put back in order.
 */
class ModelCallsEmbedTest {

  private static final String[] WORDS = {"river", "stone", "house", "green", "light", "water", "city", "north"};

  /** Lengths that alternate short and long, so length sorting reorders nearly every text. */
  private static List<String> mixedLengths(int n) {
    List<String> texts = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int len = i % 2 == 0 ? 1 + i % 5 : 60 - i % 37;
      StringBuilder sb = new StringBuilder();
      for (int w = 0; w < len; w++) {
        sb.append(WORDS[(i + w * 3) % WORDS.length]).append(' ');
      }
      texts.add(sb.append(i).toString());
    }
    return texts;
  }

  private static JobConfig.Embedder fp32(int batchSize) {
    return ConfigLoader.load(JobConfig.class, "dpsynth/defaults.yaml", null,
        List.of("embedder.quantized=false", "embedder.batch_size=" + batchSize)).embedder();
  }

  @Test
  void lengthSortedBatchesComeBackInInputOrderEqualToOneTextPerCall() {
    SparkSession spark = SparkTestSession.get();
    List<String> texts = mixedLengths(70);
    float[][] batched = ModelCalls.embed(spark, fp32(8), null, texts);
    assertEquals(texts.size(), batched.length);
    MiniLmEmbedder single = MiniLmEmbedder.shared(1);
    for (int i = 0; i < texts.size(); i++) {
      float[] alone = single.embed(List.of(texts.get(i))).vectors()[0];
      for (int d = 0; d < alone.length; d++) {
        assertEquals(alone[d], batched[i][d], 1e-5, "text " + i + " dim " + d);
      }
    }
  }

  @Test
  void batchSizeChangesOnlyHowSortedTextsAreCut() {
    SparkSession spark = SparkTestSession.get();
    List<String> texts = mixedLengths(50);
    float[][] small = ModelCalls.embed(spark, fp32(3), null, texts);
    float[][] large = ModelCalls.embed(spark, fp32(64), null, texts);
    double worst = 1;
    for (int i = 0; i < texts.size(); i++) {
      double dot = 0;
      for (int d = 0; d < small[i].length; d++) {
        dot += (double) small[i][d] * large[i][d];
      }
      worst = Math.min(worst, dot);
    }
    assertTrue(worst > 1 - 1e-6, "lowest cosine between batch sizes 3 and 64: " + worst);
  }
}
