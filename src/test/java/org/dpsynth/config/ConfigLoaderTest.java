package org.dpsynth.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
  @TempDir Path dir;

  private Path write(String yaml) throws IOException {
    Path f = dir.resolve("job.yaml");
    Files.writeString(f, yaml);
    return f;
  }

  /** Every example in conf/ loads and validates with its method's loader (pe-*, fewshot-*, dpft-*). */
  @Test
  void everyConfigInConfLoads() throws IOException {
    int loaded = 0;
    try (var files = java.nio.file.Files.list(Path.of("conf"))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        String name = f.getFileName().toString();
        if (name.startsWith("pe-")) {
          assertNotNull(ConfigLoader.load(f, List.of()).output().dir(), name);
        } else if (name.startsWith("fewshot-")) {
          assertNotNull(FewShotConfig.load(f, List.of()).output().dir(), name);
        } else if (name.startsWith("dpft-")) {
          assertNotNull(DpftConfig.load(f, List.of()).output().dir(), name);
        } else {
          fail("conf/" + name + ": name it pe-*, fewshot-* or dpft-* so this test knows its method");
        }
        loaded++;
      }
    }
    assertTrue(loaded >= 6, "configs found: " + loaded);
  }

  @Test
  void shippedExampleConfigsLoadAndValidate() {
    JobConfig c = ConfigLoader.load(Path.of("conf/pe-fortunes.yaml"), List.of());
    assertEquals(8, c.labels().names().size());
    assertEquals(JobConfig.ModelType.MINILM, c.embedder().type());
    JobConfig o = ConfigLoader.load(Path.of("conf/pe-openai.yaml"), List.of());
    assertEquals(JobConfig.ModelType.OPENAI, o.generator().type());
    assertEquals("OPENAI_API_KEY", o.generator().apiKeyEnv());
  }

  @Test
  void userFileMergesOverDefaultsAndSetOverridesBoth() throws IOException {
    Path f = write("privacy:\n  epsilon: 2.5\npe:\n  iterations: 3\nlabels:\n  names: [a, b]\n");
    JobConfig c = ConfigLoader.load(f, List.of("pe.iterations=7", "pe.variation_degrees=[0.5, 0.25]", "input.dataset=corpus-x"));
    assertEquals(2.5, c.privacy().epsilon());
    assertEquals(7, c.pe().iterations());
    assertEquals(List.of(0.5, 0.25), c.pe().variationDegrees());
    assertEquals("corpus-x", c.input().datasetName());
    assertEquals(1.0e-6, c.privacy().delta(), "untouched keys keep their defaults");
    assertEquals(0.25, c.pe().degreeAt(5), "the last degree repeats");
  }

  @Test
  void unknownKeyNamesTheDottedKeyAndTheKnownOnes() throws IOException {
    Path f = write("labels:\n  names: [a]\npe:\n  iteratons: 3\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, List.of()));
    assertTrue(e.getMessage().contains("'pe.iteratons'"), e.getMessage());
    assertTrue(e.getMessage().contains("iterations"), e.getMessage());
    ConfigException s = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(null, List.of("labels.names=[a]", "privacy.epsilonn=3")));
    assertTrue(s.getMessage().contains("'privacy.epsilonn'"), s.getMessage());
  }

  @Test
  void wrongTypeNamesKeyAndExpectedForm() throws IOException {
    Path f = write("labels:\n  names: [a]\npe:\n  iterations: lots\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, List.of()));
    assertTrue(e.getMessage().contains("'pe.iterations'") && e.getMessage().contains("an integer"), e.getMessage());
  }

  @Test
  void invalidValuesAreListedWithTheirKeys() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null,
        List.of("labels.names=[a]", "privacy.epsilon=-1", "privacy.delta=1.5", "pe.k=0", "privacy.noise=insecure")));
    String m = e.getMessage();
    assertTrue(m.contains("privacy.epsilon: expected a finite number > 0"), m);
    assertTrue(m.contains("privacy.delta: expected a number in (0, 1)"), m);
    assertTrue(m.contains("pe.k: expected an integer >= 1"), m);
    assertTrue(m.contains("privacy.noise"), m);
    // A mode is an enum: a value outside it is refused when the config is bound, naming the key and the modes.
    ConfigException mode = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("labels.names=[a]", "pe.selection=best")));
    assertTrue(mode.getMessage().contains("'pe.selection'") && mode.getMessage().contains("expected one of 'sample', 'rank', got 'best'"),
        mode.getMessage());
    ConfigException empty = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("labels.names=[a]", "pe.selection=")));
    assertTrue(empty.getMessage().contains("pe.selection: expected one of 'sample', 'rank'"), empty.getMessage());
  }

  @Test
  void theLabelRecordCapTakesAnIntegerZeroOrAutoAndNamesItsKeyOtherwise() {
    assertEquals("0", ConfigLoader.load(null, List.of("labels.names=[a]")).labels().maxRecordsPerUser(), "default: the votes' cap");
    assertEquals(16, ConfigLoader.load(null, List.of("labels.names=[a]", "labels.max_records_per_user=16")).labels().fixedRecordCap());
    assertTrue(ConfigLoader.load(null, List.of("labels.names=[a]", "labels.max_records_per_user=auto")).labels().autoRecordCap());
    for (String bad : new String[] {"-1", "many", "2.5", "''", "null", "true", "99999999999"}) {
      ConfigException e = assertThrows(ConfigException.class,
          () -> ConfigLoader.load(null, List.of("labels.names=[a]", "labels.max_records_per_user=" + bad)), bad);
      assertTrue(e.getMessage().contains("labels.max_records_per_user: expected an integer >= 1, 0 (= input.max_records_per_user"),
          bad + " -> " + e.getMessage());
      ConfigException d = assertThrows(ConfigException.class,
          () -> DpftConfig.load(null, List.of("labels.names=[a]", "labels.max_records_per_user=" + bad)), bad);
      assertTrue(d.getMessage().contains("labels.max_records_per_user: expected"), bad + " -> " + d.getMessage());
    }
    ConfigException list = assertThrows(ConfigException.class,
        () -> ConfigLoader.load(null, List.of("labels.names=[a]", "labels.max_records_per_user=[8]")));
    assertTrue(list.getMessage().contains("labels.max_records_per_user"), list.getMessage());
  }

  @Test
  void fewShotOverAnEndpointAsksForNoMoreCandidatesThanTheServersLogprobCap() {
    List<String> openai = List.of("labels.names=[a]", "generator.type=openai", "generator.base_url=http://127.0.0.1:9/v1",
        "generator.model=m", "generator.max_top_logprobs=5");
    ConfigException e = assertThrows(ConfigException.class, () -> FewShotConfig.load(null, openai));
    assertTrue(e.getMessage().contains("fewshot.candidates") && e.getMessage().contains("generator.max_top_logprobs (5)"), e.getMessage());
    List<String> five = new java.util.ArrayList<>(openai);
    five.add("fewshot.candidates=5");
    assertEquals(5, FewShotConfig.load(null, five).fewshot().candidates());
    assertEquals(20, FewShotConfig.load(null, List.of("labels.names=[a]", "generator.max_top_logprobs=5")).fewshot().candidates(),
        "the embedded generator has no cap");
  }

  @Test
  void dpftRefusesALabelBudgetShareItsCountNoiseAlreadySets() {
    ConfigException e = assertThrows(ConfigException.class, () -> DpftConfig.load(null,
        List.of("labels.names=[a, b]", "labels.proportions=dp", "labels.budget_share=0.5")));
    assertTrue(e.getMessage().contains("labels.budget_share") && e.getMessage().contains("dpft.count_noise"), e.getMessage());
    assertEquals(0.0, DpftConfig.load(null, List.of("labels.names=[a]")).labels().budgetShare(), 0.0);
  }

  @Test
  void deltaMustBeBelowOneOverThePublicLowerBoundOnUsers() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null,
        List.of("labels.names=[a]", "privacy.min_users=100", "privacy.delta=0.01")));
    assertTrue(e.getMessage().contains("privacy.delta: expected a number below 1/privacy.min_users = 0.01"), e.getMessage());
    assertEquals(0.001, ConfigLoader.load(null, List.of("labels.names=[a]", "privacy.min_users=100", "privacy.delta=0.001")).privacy().delta());
    ConfigException zero = assertThrows(ConfigException.class, () -> ConfigLoader.load(null,
        List.of("labels.names=[a]", "privacy.min_users=0")));
    assertTrue(zero.getMessage().contains("privacy.min_users"), zero.getMessage());
  }

  @Test
  void labelsAreRequiredWhenTheInputHasALabelColumn() {
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of()));
    assertTrue(e.getMessage().contains("labels.names"), e.getMessage());
    // Without a label column no label list is needed.
    JobConfig c = ConfigLoader.load(null, List.of("input.label_column="));
    assertTrue(!c.input().hasLabels());
  }

  @Test
  void malformedYamlNamesFileAndLine() throws IOException {
    Path f = write("pe:\n  iterations: [1,\n");
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(f, List.of()));
    assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("line"), e.getMessage());
  }

  @Test
  void setWithoutEqualsOrOntoASectionIsRejected() {
    assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("privacy.epsilon")));
    ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.load(null, List.of("privacy=3")));
    assertTrue(e.getMessage().contains("section"), e.getMessage());
  }
}
