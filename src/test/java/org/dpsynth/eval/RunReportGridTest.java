package org.dpsynth.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which iterations get an image grid in report.html: all of a short run, at most {@link RunReport#MAX_ITERATION_GRIDS} of a long one. */
class RunReportGridTest {
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
}
