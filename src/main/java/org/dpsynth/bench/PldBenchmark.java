package org.dpsynth.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import org.dpsynth.privacy.PldAccountant;
import org.dpsynth.privacy.PldAccountant.SubsampledGaussian;
import org.dpsynth.privacy.RdpAccountant;

/**
 * Wall-clock time and ε of the {@link PldAccountant} on the reference cases of issues 14 and 19,
 * each in a fresh JVM (as the CLI and a few-shot run pay it: JVM start, class loading and JIT
 * warm-up included), with {@link RdpAccountant} on the same case in the same child JVM as the
 * baseline: the ε ratio PLD/RDP (below 1 = tighter) and the compute-time ratio.
 *
 * <p>Usage: {@code PldBenchmark [--rounds N] [--cases a,b,...]}. Prints a table (median and worst
 * over the rounds) and, last, {@code pld_<case>_epsilon=}, {@code pld_<case>_seconds=} (median
 * fresh-JVM wall clock), {@code pld_<case>_vs_rdp=} (ε ratio) lines. {@code --child CASE} is the
 * internal entry point of one measurement.
 */
public final class PldBenchmark {
  private PldBenchmark() {}

  /** One reference case: what PLD computes, and the RDP counterpart. */
  private record Case(String what, Supplier<Double> pld, Supplier<Double> rdp) {}

  private static final double MNIST_Q = 256.0 / 60000; // 0.0042666667

  private static Map<String, Case> cases() {
    Map<String, Case> m = new LinkedHashMap<>();
    m.put("mnist", new Case("DP-SGD MNIST: q=256/60000, z=1.1, 14062 steps, delta=1e-5 -> epsilon",
        () -> PldAccountant.epsilon(MNIST_Q, 1.1, 14062, 1e-5),
        () -> RdpAccountant.epsilon(MNIST_Q, 1.1, 14062, 1e-5)));
    m.put("mnist_calibrate", new Case("MNIST: noise multiplier for epsilon=2.5, 14062 steps -> sigma",
        () -> PldAccountant.calibrateNoiseMultiplier(MNIST_Q, 2.5, 1e-5, 14062),
        () -> RdpAccountant.calibrateNoiseMultiplier(MNIST_Q, 2.5, 1e-5, 14062)));
    m.put("fewshot", new Case("few-shot (conf/fewshot-fortunes.yaml): q=0.05, z=0.8552, 32 steps, delta=1e-6",
        () -> PldAccountant.epsilon(0.05, 0.8552, 32, 1e-6),
        () -> RdpAccountant.epsilon(0.05, 0.8552, 32, 1e-6)));
    m.put("fewshot_calibrate", new Case("few-shot plan: sigma for epsilon=4, q=0.05, 32 steps, delta=1e-6",
        () -> PldAccountant.calibrateNoiseMultiplier(0.05, 4, 1e-6, 32),
        () -> RdpAccountant.calibrateNoiseMultiplier(0.05, 4, 1e-6, 32)));
    m.put("fewshot100_calibrate", new Case("few-shot plan, 100 steps: sigma for epsilon=4, q=0.05, delta=1e-6",
        () -> PldAccountant.calibrateNoiseMultiplier(0.05, 4, 1e-6, 100),
        () -> RdpAccountant.calibrateNoiseMultiplier(0.05, 4, 1e-6, 100)));
    List<SubsampledGaussian> mixed = List.of(new SubsampledGaussian(0.01, 1.0, 2000),
        new SubsampledGaussian(0.02, 1.5, 500), new SubsampledGaussian(1.0, 10.0, 2));
    m.put("heterogeneous", new Case("2000 steps q=0.01 z=1 + 500 steps q=0.02 z=1.5 + 2 Gaussians z=10, delta=1e-6",
        () -> PldAccountant.epsilon(mixed, 1e-6),
        () -> RdpAccountant.epsilon(mixed.stream()
            .map(r -> new RdpAccountant.SubsampledRelease(r.q(), r.noiseMultiplier(), r.steps())).toList(), 1e-6)));
    return m;
  }

  public static void main(String[] args) throws Exception {
    int rounds = 5;
    List<String> selected = new ArrayList<>(cases().keySet());
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--child" -> {
          child(args[++i]);
          return;
        }
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--cases" -> selected = Arrays.asList(args[++i].split(","));
        default -> throw new IllegalArgumentException(
            "unknown argument " + args[i] + "; usage: [--rounds N] [--cases " + String.join(",", cases().keySet()) + "]");
      }
    }
    for (String c : selected) {
      if (!cases().containsKey(c)) {
        throw new IllegalArgumentException("unknown case " + c + "; known: " + cases().keySet());
      }
    }
    System.out.printf(Locale.ROOT, "%d fresh JVMs per case; seconds = wall clock of the whole JVM (median / worst)%n", rounds);
    System.out.printf(Locale.ROOT, "%-22s %12s %12s %8s %9s %9s %10s %10s%n",
        "case", "pld", "rdp", "pld/rdp", "jvm_med", "jvm_max", "pld_cpu_s", "rdp_cpu_s");
    List<String> claims = new ArrayList<>();
    for (String c : selected) {
      double[] wall = new double[rounds];
      double[] pldSeconds = new double[rounds];
      double[] rdpSeconds = new double[rounds];
      double pld = Double.NaN;
      double rdp = Double.NaN;
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        double[] out = runChild(c);
        wall[r] = (System.nanoTime() - t0) / 1e9;
        pld = out[0];
        rdp = out[1];
        pldSeconds[r] = out[2];
        rdpSeconds[r] = out[3];
      }
      System.out.printf(Locale.ROOT, "%-22s %12.6f %12.6f %8.4f %9.2f %9.2f %10.3f %10.3f%n",
          c, pld, rdp, pld / rdp, median(wall), max(wall), median(pldSeconds), median(rdpSeconds));
      claims.add(String.format(Locale.ROOT, "pld_%s_%s=%.6f", c, c.endsWith("calibrate") ? "sigma" : "epsilon", pld));
      claims.add(String.format(Locale.ROOT, "pld_%s_seconds=%.2f", c, median(wall)));
      claims.add(String.format(Locale.ROOT, "pld_%s_seconds_worst=%.2f", c, max(wall)));
      claims.add(String.format(Locale.ROOT, "pld_%s_vs_rdp=%.4f", c, pld / rdp));
      claims.add(String.format(Locale.ROOT, "pld_%s_time_vs_rdp=%.3f", c, median(pldSeconds) / median(rdpSeconds)));
    }
    System.out.println();
    for (String c : selected) {
      System.out.println(c + ": " + cases().get(c).what());
    }
    System.out.println("(vs_rdp is PLD/RDP: the epsilon ratio, or the sigma ratio for calibrations; time_vs_rdp"
        + " compares compute time inside the child JVM)");
    claims.forEach(System.out::println);
  }

  /** Runs one case in a fresh JVM on this class path; returns {pld, rdp, pld seconds, rdp seconds}. */
  private static double[] runChild(String name) throws IOException, InterruptedException {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx2g", "-cp", System.getProperty("java.class.path"),
        PldBenchmark.class.getName(), "--child", name));
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    String result = null;
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith("RESULT ")) {
          result = line;
        }
      }
    }
    int code = p.waitFor();
    if (code != 0 || result == null) {
      throw new IllegalStateException("child JVM for case " + name + " failed (exit " + code + ")");
    }
    String[] f = result.split(" ");
    return new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2]),
        Double.parseDouble(f[3]), Double.parseDouble(f[4])};
  }

  /** The child: PLD first (cold, as the CLI runs it), then RDP. */
  private static void child(String name) {
    Case c = cases().get(name);
    long t0 = System.nanoTime();
    double pld = c.pld().get();
    long t1 = System.nanoTime();
    double rdp = c.rdp().get();
    long t2 = System.nanoTime();
    System.out.printf(Locale.ROOT, "RESULT %.17g %.17g %.6f %.6f%n", pld, rdp, (t1 - t0) / 1e9, (t2 - t1) / 1e9);
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static double max(double[] v) {
    return Arrays.stream(v).max().orElse(Double.NaN);
  }
}
