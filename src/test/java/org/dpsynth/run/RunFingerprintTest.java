package org.dpsynth.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.dpsynth.config.ConfigLoader;
import org.dpsynth.config.DpftConfig;
import org.dpsynth.config.FewShotConfig;
import org.junit.jupiter.api.Test;

class RunFingerprintTest {
  private static RunFingerprint pe(String... sets) {
    List<String> o = new ArrayList<>(List.of("labels.names=[a, b]"));
    o.addAll(List.of(sets));
    return RunFingerprint.of(ConfigLoader.load(null, o));
  }

  @Test
  void namesEveryPrivacyRelevantKeyThatDiffersAndIgnoresOperationalOnes() {
    RunFingerprint base = pe();
    assertEquals(List.of(), base.differences(pe()));
    assertEquals(List.of("privacy.epsilon"), base.differences(pe("privacy.epsilon=2")));
    assertEquals(List.of("input.max_records_per_user", "pe.iterations"),
        base.differences(pe("pe.iterations=7", "input.max_records_per_user=3")));
    assertEquals(List.of("labels.names"), base.differences(pe("labels.names=[a, b, c]")));
    // How the work is done (threads, retries, where output goes, the cap) changes no release.
    assertEquals(List.of(), base.differences(pe("embedder.threads=4", "generator.max_attempts=2", "output.dir=elsewhere",
        "budget.total_epsilon=10")));
    // Read back from disk, numbers compare by value.
    assertEquals(List.of(), RunFingerprint.fromJson(base.json()).differences(base));
  }

  @Test
  void fewShotAndDpftFingerprintsCoverTheirMechanismSettings() {
    List<String> fs = List.of("labels.names=[a, b]");
    RunFingerprint f = RunFingerprint.of(FewShotConfig.load(null, fs));
    List<String> changed = new ArrayList<>(fs);
    changed.addAll(List.of("fewshot.sampling_rate=0.5", "fewshot.max_tokens=7", "privacy.noise=seeded:1", "eval.max_test=5"));
    assertEquals(List.of("fewshot.max_tokens", "fewshot.sampling_rate", "privacy.noise"),
        f.differences(RunFingerprint.of(FewShotConfig.load(null, changed))));
    List<String> d = List.of("labels.names=[a, b]");
    List<String> dChanged = new ArrayList<>(d);
    dChanged.addAll(List.of("dpft.steps=3", "dpft.partitions=9", "dpft.checkpoint_every=1"));
    assertTrue(RunFingerprint.of(DpftConfig.load(null, d)).differences(RunFingerprint.of(DpftConfig.load(null, dChanged)))
        .equals(List.of("dpft.steps")));
  }
}
