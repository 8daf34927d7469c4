package org.dpsynth.eval;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The run report's privacy paragraph states the label release's own record cap and bound when the manifest has them. */
class RunReportPrivacyWordsTest {

  @Test
  void theLabelReleasesCapAndBoundAreStated() {
    ObjectNode p = new ObjectMapper().createObjectNode();
    p.put("unit", "user").put("epsilon", 4.0).put("delta", 1e-6).put("max_records_per_user", 8).put("sensitivity", 1.0)
        .put("steps", 6).put("noise_stddev", 2.9).put("sigma", 2.9).put("mu", 0.8).put("label_proportions", "dp");
    String without = String.join("\n", RunReport.privacyInWords(p, "secure"));
    assertTrue(without.contains("released with noise and charged to the same budget.") && !without.contains("per-label counts"), without);
    p.put("label_max_records_per_user", 17).put("label_sensitivity", 17.0);
    List<String> words = RunReport.privacyInWords(p, "secure");
    String all = String.join("\n", words);
    assertTrue(all.contains("at most 8 records"), all);
    assertTrue(all.contains("per-label counts cover at most 17 records and are clipped to L2 norm 17."), all);
    assertTrue(!all.contains("own noise multiplier"), "one multiplier for all releases: " + all);
    p.put("label_sigma", 1.69).put("label_budget_share", 0.5);
    String split = String.join("\n", RunReport.privacyInWords(p, "secure"));
    assertTrue(split.contains("Their release has its own noise multiplier 1.690 (labels.budget_share 0.5 of the budget)."), split);
  }
}
