package org.dpsynth.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.dpsynth.foundation.image.GrayImage;
import org.dpsynth.pe.PrivateEvolution;
import org.dpsynth.testing.SparkTestSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The report's image grids: which iterations get one, and the bound on the bytes the page inlines. */
class RunReportGridTest {
  @TempDir Path dir;

  @Test
  void shortRunsShowEveryIterationLongOnesTheFirstTheLastAndEvenlySpacedOnes() {
    assertEquals(List.of(), RunReport.gridIterations(0));
    assertEquals(List.of(0), RunReport.gridIterations(1));
    assertEquals(List.of(0, 1, 2), RunReport.gridIterations(3));
    assertEquals(List.of(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10), RunReport.gridIterations(11));
    assertEquals(List.of(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20), RunReport.gridIterations(21));
    for (int n = 12; n <= 300; n++) {
      List<Integer> shown = RunReport.gridIterations(n);
      assertEquals(RunReport.MAX_ITERATION_GRIDS, shown.size(), "n=" + n);
      assertEquals(0, shown.get(0));
      assertEquals(n - 1, shown.get(shown.size() - 1));
      for (int i = 1; i < shown.size(); i++) {
        assertTrue(shown.get(i) > shown.get(i - 1), "strictly increasing: " + shown);
      }
    }
  }

  @Test
  void gridsStopInliningAtTheByteBoundAndCountWhatTheyLeaveOut() {
    // 80 images of 28x28 noise (PNG cannot compress it: about 850 bytes each) of one label, against a bound of 20,000 bytes.
    SplittableRandom rnd = new SplittableRandom(3);
    List<Row> rows = new ArrayList<>();
    long total = 0;
    for (int i = 0; i < 80; i++) {
      float[] px = new float[28 * 28];
      for (int j = 0; j < px.length; j++) {
        px[j] = rnd.nextInt(256) / 255f;
      }
      byte[] png = new GrayImage(28, 28, px).png();
      total += png.length;
      rows.add(RowFactory.create(String.format("%03d", i), "a", png));
    }
    assertTrue(total > 20_000, "the set is larger than the bound: " + total);
    StructType schema = new StructType().add("id", DataTypes.StringType).add("label", DataTypes.StringType)
        .add(PrivateEvolution.IMAGE_COLUMN, DataTypes.BinaryType);
    Path p = dir.resolve("population.parquet");
    SparkTestSession.get().createDataFrame(rows, schema).write().parquet(p.toString());

    RunReport.ImageBudget budget = new RunReport.ImageBudget(20_000);
    String html = RunReport.imageGrid(SparkTestSession.get(), new org.apache.hadoop.fs.Path(p.toUri()), 100, List.of("a"), budget);
    Matcher m = Pattern.compile("data:image/png;base64,([A-Za-z0-9+/=]+)").matcher(html);
    int shown = 0;
    long inlined = 0;
    while (m.find()) {
      inlined += Base64.getDecoder().decode(m.group(1)).length;
      shown++;
    }
    assertTrue(shown > 0 && inlined <= 20_000 && inlined > 20_000 - 1000, shown + " images, " + inlined + " bytes");
    assertEquals(80, shown + budget.omitted, "every image is shown or counted as left out");
    assertTrue(budget.omitted > 0);
    // A later grid gets nothing once the budget is spent, but still counts.
    String next = RunReport.imageGrid(SparkTestSession.get(), new org.apache.hadoop.fs.Path(p.toUri()), 10, List.of("a"), budget);
    assertTrue(!next.contains("data:image/png"), "nothing inlined past the bound");
    assertEquals(80 - shown + 10, budget.omitted);
  }
}
