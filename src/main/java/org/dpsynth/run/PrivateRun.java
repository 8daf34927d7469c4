package org.dpsynth.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;
import org.dpsynth.config.ConfigException;
import org.dpsynth.privacy.LedgerEntry;
import org.dpsynth.privacy.LedgerStore;
import org.dpsynth.privacy.NoiseSource;
import org.dpsynth.privacy.PrivacyBudget;

/**
 * One private run of any method (PE, DP few-shot, DP fine-tuning) in one run directory: its
 * identity, its charges to the dataset's ledger, and the release protocol. The order is fixed by
 * the types: {@link #open} starts or resumes the run (a resume with other privacy-relevant
 * settings is refused, naming the keys); {@link #preflight} refuses early a run that would not
 * fit the dataset's budget; {@link #charge} appends every planned release to the dataset ledger in
 * one atomic step within the budget, before anything is drawn; only the {@link ChargedRun} it
 * returns can {@link ChargedRun#release release} values (draw, commit, then use).
 *
 * <p>Crash safety: a release is charged before its draw and its value is committed (temporary
 * file under {@code private/}, atomic rename) before anything derived from it is written or
 * printed. A crash at any point therefore leaves each release either unobserved and charged
 * (redrawn on resume, without a second charge) or observed and charged (read back on resume,
 * never redrawn) — never observed and uncharged.
 */
public final class PrivateRun {
  /** What identifies a run and the budget it draws on. */
  public record Settings(
      String method,
      RunFingerprint fingerprint,
      String dataset,
      LedgerStore ledger,
      double budgetCap,
      double delta,
      NoiseSource noise) {
    public Settings {
      Objects.requireNonNull(method, "method");
      Objects.requireNonNull(fingerprint, "fingerprint");
      Objects.requireNonNull(dataset, "dataset");
      Objects.requireNonNull(ledger, "ledger");
      Objects.requireNonNull(noise, "noise");
    }
  }

  /** One planned release of the run and what it costs (noise stddev σ, L2 sensitivity Δ, steps). */
  public record Charge(String name, String mechanism, double noiseStddev, double sensitivity, long steps, Double samplingRate) {
    public static Charge gaussian(String name, double noiseStddev, double sensitivity, long steps) {
      return new Charge(name, LedgerEntry.GAUSSIAN, noiseStddev, sensitivity, steps, null);
    }

    public static Charge poissonGaussian(String name, double samplingRate, double noiseStddev, double sensitivity, long steps) {
      return new Charge(name, LedgerEntry.POISSON_GAUSSIAN, noiseStddev, sensitivity, steps, samplingRate);
    }
  }

  private final RunDirectory dir;
  private final Settings settings;
  private final String runId;
  private final boolean resumed;
  private final PrintStream console;
  private final Consumer<String> boundary;
  private final Map<String, Double> timings = new LinkedHashMap<>();
  private double datasetEpsilon = Double.NaN;

  private PrivateRun(RunDirectory dir, Settings settings, String runId, boolean resumed, PrintStream console,
      Consumer<String> boundary) {
    this.dir = dir;
    this.settings = settings;
    this.runId = runId;
    this.resumed = resumed;
    this.console = console;
    this.boundary = boundary;
  }

  /**
   * Starts a new run in {@code dir} or resumes the one found there. A run directory of another
   * method, or started with another fingerprint, is refused with the keys that differ.
   *
   * @param boundary called with phase names ("charged", "drawn:NAME" after a draw and before its
   *     commit, "released:NAME" after the commit); tests stop the driver there
   */
  public static PrivateRun open(RunDirectory dir, Settings settings, PrintStream console, Consumer<String> boundary) {
    dir.create();
    if (dir.isFile(dir.runState())) {
      JsonNode state = dir.readJson(dir.runState());
      String method = state.path("method").asText("");
      if (!method.equals(settings.method())) {
        throw new ConfigException("run directory " + dir.root() + " holds a '" + method + "' run, not '" + settings.method()
            + "'; use a new --out directory");
      }
      List<String> differ = RunFingerprint.fromJson(state.path("fingerprint")).differences(settings.fingerprint());
      if (!differ.isEmpty()) {
        throw new ConfigException("run directory " + dir.root() + " was started with a different configuration ("
            + String.join(", ", differ) + " differ" + (differ.size() == 1 ? "s" : "") + "); use a new --out directory, "
            + "or the original configuration to resume");
      }
      String runId = state.path("run_id").asText();
      console.println("resuming run " + runId + " in " + dir.root());
      return new PrivateRun(dir, settings, runId, true, console, boundary);
    }
    String runId = UUID.randomUUID().toString();
    ObjectNode state = RunDirectory.JSON.createObjectNode();
    state.put("run_id", runId);
    state.put("method", settings.method());
    state.put("dataset", settings.dataset());
    state.put("ledger", settings.ledger().location());
    state.set("fingerprint", settings.fingerprint().json());
    dir.writeJson(dir.runState(), state);
    console.println("run " + runId + " in " + dir.root());
    return new PrivateRun(dir, settings, runId, false, console, boundary);
  }

  public String runId() {
    return runId;
  }

  public boolean resumed() {
    return resumed;
  }

  public RunDirectory dir() {
    return dir;
  }

  public Settings settings() {
    return settings;
  }

  /** The ledger id of a release of this run. */
  public String releaseId(String name) {
    return runId + "/" + name;
  }

  /**
   * Checks, without charging, that the planned releases fit the dataset's budget, so a run that
   * would be refused stops before its expensive work; {@link #charge} checks again atomically.
   *
   * @throws PrivacyBudget.ExceededException with what is left, when they do not fit
   */
  public void preflight(List<Charge> plan) {
    List<LedgerEntry> planned = entries(plan);
    PrivacyBudget.Admission a = PrivacyBudget.admit(settings.ledger().entries(), planned, settings.dataset(),
        settings.budgetCap(), settings.delta(), settings.ledger().location());
    datasetEpsilon = a.spentAfter();
    if (settings.budgetCap() > 0) {
      console.printf("budget: dataset '%s' at epsilon %.4g of %.4g (delta %.3g) with this run%n", settings.dataset(),
          a.spentAfter(), settings.budgetCap(), settings.delta());
    }
  }

  /**
   * Charges every planned release that the ledger does not yet hold for this run, in one atomic
   * step under the ledger's lock: the dataset's recorded releases composed with these must stay
   * within {@code budget.total_epsilon}, or nothing is appended and {@link
   * PrivacyBudget.ExceededException} says what is left. Call it right before the first draw.
   */
  public ChargedRun charge(List<Charge> plan) {
    List<LedgerEntry> planned = entries(plan);
    PrivacyBudget.Admission[] admission = new PrivacyBudget.Admission[1];
    List<LedgerEntry> appended = settings.ledger().appendAtomically(recorded -> {
      admission[0] = PrivacyBudget.admit(recorded, planned, settings.dataset(), settings.budgetCap(), settings.delta(),
          settings.ledger().location());
      return admission[0].toAppend();
    });
    datasetEpsilon = admission[0].spentAfter();
    if (appended.isEmpty() && !planned.isEmpty()) {
      console.println("every release of this run is already charged in the ledger; no new spend");
    }
    boundary.accept("charged");
    return new ChargedRun(this, plan.stream().map(Charge::name).toList());
  }

  /** ε of the dataset's ledger with this run's charges (at the run's δ), as last checked; NaN before any check. */
  public double datasetEpsilon() {
    return datasetEpsilon;
  }

  private List<LedgerEntry> entries(List<Charge> plan) {
    String now = Instant.now().toString();
    List<LedgerEntry> planned = new ArrayList<>();
    for (Charge c : plan) {
      planned.add(new LedgerEntry(releaseId(c.name()), c.mechanism(), c.noiseStddev(), c.sensitivity(), c.steps(), runId,
          settings.dataset(), now, c.samplingRate()));
    }
    return planned;
  }

  /** The noise source of one release: a test seed is re-derived per release so a resumed run draws the same values. */
  NoiseSource noiseFor(String name) {
    if (settings.noise() instanceof org.dpsynth.privacy.SeededNoise seeded) {
      return new org.dpsynth.privacy.SeededNoise(Seeds.mix(seeded.seed(), name.hashCode()));
    }
    return settings.noise();
  }

  void boundary(String phase) {
    boundary.accept(phase);
  }

  /** Records the wall-clock time of a phase in {@code private/timings.json} (timings grow with the private corpus). */
  public synchronized void timing(String phase, double seconds) {
    timings.merge(phase, seconds, Double::sum);
    ObjectNode o = RunDirectory.JSON.createObjectNode();
    o.put("note", "PRIVATE: elapsed times grow with the private corpus; never share");
    o.put("run_id", runId);
    ObjectNode t = o.putObject("seconds");
    timings.forEach(t::put);
    dir.writeJson(dir.timings(), o);
  }
}
