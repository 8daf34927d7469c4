package org.dpsynth.foundation.image;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.dpsynth.foundation.Generator;

/**
 * An embedded image generator in the spirit of the simulators of DPSDA / Sim-PE (Lin et al. 2025):
 * no learned model, only a public image prior.
 *
 * <ul>
 *   <li>RANDOM_API: draws public images of the label (all public images when the label has none),
 *       uniformly with the given seed; each is reported as a {@code PUBLIC} copy.
 *   <li>VARIATION_API at degree d in (0, 1], two kinds, chosen per parent:
 *       <ul>
 *         <li>with probability min(1, {@value #NEIGHBOUR_SHARE_PER_DEGREE}·d), a <b>nearest public
 *             image</b> (as in Sim-PE): one of the ceil(d · {@value #NEIGHBOURS}) public images of
 *             the label nearest to the parent (pixel L2), other than the parent itself, returned
 *             unchanged. The population then stays on the public image manifold: PE reweights
 *             which public images appear instead of compounding distortions;
 *         <li>otherwise a <b>perturbation</b>: blends the parent with one of those neighbours at
 *             weight up to d/2, then rotates (up to ±15°·d), shifts (up to ±3·d pixels), rescales
 *             (±10%·d) and changes contrast (±30%·d) and brightness (±0.15·d).
 *       </ul>
 *       d = 0 returns the parent unchanged.
 * </ul>
 *
 * <p>It cannot make anything the public prior and these transformations do not reach: no new
 * shapes, textures or classes. Deterministic for a seed (each input's changes come from a stream
 * split off the seed in input order); thread-safe (immutable). It has no next-token API.
 */
public final class SimulatedImageGenerator implements Generator {
  static final int NEIGHBOURS = 20;
  static final double NEIGHBOUR_SHARE_PER_DEGREE = 2;
  static final double MAX_ROTATION_DEG = 15;
  static final double MAX_SHIFT_PX = 3;
  static final double MAX_SCALE = 0.10;
  static final double MAX_CONTRAST = 0.30;
  static final double MAX_BRIGHTNESS = 0.15;

  private final List<GrayImage> all;
  private final List<String> allPayloads;
  private final Map<String, int[]> byLabel = new LinkedHashMap<>();

  /**
   * @param images public images (base64 PNG payloads)
   * @param labels their labels (same order), or null for an unlabelled prior
   */
  public SimulatedImageGenerator(List<String> images, List<String> labels) {
    if (images.isEmpty()) {
      throw new IllegalArgumentException("the public image prior is empty");
    }
    all = new ArrayList<>(images.size());
    allPayloads = new ArrayList<>(images.size());
    Map<String, List<Integer>> idx = new LinkedHashMap<>();
    for (int i = 0; i < images.size(); i++) {
      GrayImage g = GrayImage.fromPayload(images.get(i));
      if (g == null) {
        throw new IllegalArgumentException("public image prior, record " + (i + 1) + ": not a decodable image");
      }
      all.add(g);
      allPayloads.add(images.get(i));
      if (labels != null) {
        idx.computeIfAbsent(labels.get(i), k -> new ArrayList<>()).add(i);
      }
    }
    idx.forEach((l, list) -> byLabel.put(l, list.stream().mapToInt(Integer::intValue).toArray()));
  }

  /** Public images of {@code label}, or all when the prior has none of that label. */
  private int[] pool(String label) {
    int[] p = label == null ? null : byLabel.get(label);
    if (p == null) {
      p = new int[all.size()];
      Arrays.setAll(p, i -> i);
    }
    return p;
  }

  @Override
  public List<String> random(String label, int n, long seed) {
    List<String> out = new ArrayList<>(n);
    randomWithProvenance(label, n, seed).forEach(t -> out.add(t.text()));
    return out;
  }

  @Override
  public List<Text> randomWithProvenance(String label, int n, long seed) {
    int[] p = pool(label);
    SplittableRandom rng = new SplittableRandom(seed);
    List<Text> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(new Text(allPayloads.get(p[rng.nextInt(p.length)]), Provenance.PUBLIC));
    }
    return out;
  }

  @Override
  public List<String> variation(List<String> texts, double degree, long seed) {
    return variation(null, texts, degree, seed);
  }

  @Override
  public List<String> variation(String label, List<String> payloads, double degree, long seed) {
    List<String> out = new ArrayList<>(payloads.size());
    variationWithProvenance(label, payloads, degree, seed).forEach(t -> out.add(t.text()));
    return out;
  }

  /** As {@link #variation(String, List, double, long)}; a nearest public image is reported as {@code PUBLIC}. */
  @Override
  public List<Text> variationWithProvenance(String label, List<String> payloads, double degree, long seed) {
    if (degree < 0 || degree > 1) {
      throw new IllegalArgumentException("variation degree: expected a number in [0, 1], got " + degree);
    }
    SplittableRandom root = new SplittableRandom(seed);
    List<Text> out = new ArrayList<>(payloads.size());
    for (String p : payloads) {
      SplittableRandom rng = root.split();
      out.add(degree == 0 ? new Text(p, Provenance.GENERATED) : varyPayload(label, p, degree, rng));
    }
    return out;
  }

  /** One variation of payload {@code p} at degree {@code d} > 0: a nearest public image or a perturbation. */
  private Text varyPayload(String label, String p, double d, SplittableRandom rng) {
    GrayImage img = GrayImage.ofPayload(p);
    if (rng.nextDouble() < Math.min(1, NEIGHBOUR_SHARE_PER_DEGREE * d)) {
      int[] nearest = nearest(img.pixels(), img.width(), img.height(), pool(label), neighbours(d));
      if (nearest.length > 0) {
        return new Text(allPayloads.get(nearest[rng.nextInt(nearest.length)]), Provenance.PUBLIC);
      }
    }
    return new Text(vary(label, img, d, rng).payload(), Provenance.GENERATED);
  }

  /** How many nearest public images a variation at degree d chooses from: ceil(d · NEIGHBOURS), at least 1. */
  static int neighbours(double d) {
    return Math.max(1, (int) Math.ceil(d * NEIGHBOURS));
  }

  /** Indices into the prior of the public images nearest to {@code img} (for tests). */
  int[] nearestPublic(String label, GrayImage img, int m) {
    return nearest(img.pixels(), img.width(), img.height(), pool(label), m);
  }

  /** The public image payload at index {@code i} of the prior (for tests). */
  String publicPayload(int i) {
    return allPayloads.get(i);
  }

  /** The perturbation kind of variation of {@code img} at degree {@code d} > 0. */
  GrayImage vary(String label, GrayImage img, double d, SplittableRandom rng) {
    int w = img.width();
    int h = img.height();
    float[] x = img.pixels().clone();
    int[] p = pool(label);
    int[] nearest = nearest(x, w, h, p, neighbours(d));
    // 1. blend with a near public neighbour of the same label (and size)
    if (nearest.length > 0) {
      float[] nb = all.get(nearest[rng.nextInt(nearest.length)]).pixels();
      float a = (float) (rng.nextDouble() * d / 2);
      for (int i = 0; i < x.length; i++) {
        x[i] = (1 - a) * x[i] + a * nb[i];
      }
    }
    // 2. geometry: rotate, rescale and shift about the centre (bilinear, black outside)
    double theta = Math.toRadians(sym(rng) * MAX_ROTATION_DEG * d);
    double scale = 1 + sym(rng) * MAX_SCALE * d;
    double sx = sym(rng) * MAX_SHIFT_PX * d;
    double sy = sym(rng) * MAX_SHIFT_PX * d;
    double cos = Math.cos(theta) / scale;
    double sin = Math.sin(theta) / scale;
    double cx = (w - 1) / 2.0;
    double cy = (h - 1) / 2.0;
    float[] y = new float[x.length];
    for (int j = 0; j < h; j++) {
      for (int i = 0; i < w; i++) {
        double u = i - cx - sx;
        double v = j - cy - sy;
        y[j * w + i] = bilinear(x, w, h, cos * u + sin * v + cx, -sin * u + cos * v + cy);
      }
    }
    // 3. photometry: contrast about the mean, then brightness
    double mean = 0;
    for (float f : y) {
      mean += f;
    }
    mean /= y.length;
    double c = 1 + sym(rng) * MAX_CONTRAST * d;
    double b = sym(rng) * MAX_BRIGHTNESS * d;
    for (int i = 0; i < y.length; i++) {
      y[i] = (float) Math.max(0, Math.min(1, (y[i] - mean) * c + mean + b));
    }
    return new GrayImage(w, h, y);
  }

  /** Indices (into the prior) of the {@code m} public images in {@code pool} nearest to x, same size only. */
  private int[] nearest(float[] x, int w, int h, int[] pool, int m) {
    List<double[]> cand = new ArrayList<>();
    for (int i : pool) {
      GrayImage g = all.get(i);
      if (g.width() != w || g.height() != h) {
        continue;
      }
      double s = 0;
      float[] q = g.pixels();
      for (int k = 0; k < x.length; k++) {
        double e = x[k] - q[k];
        s += e * e;
      }
      if (s > 0) { // not the parent itself (nor an identical copy)
        cand.add(new double[] {s, i});
      }
    }
    cand.sort((a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(a[1], b[1]));
    int n = Math.min(m, cand.size());
    int[] out = new int[n];
    for (int i = 0; i < n; i++) {
      out[i] = (int) cand.get(i)[1];
    }
    return out;
  }

  private static double sym(SplittableRandom rng) {
    return 2 * rng.nextDouble() - 1;
  }

  private static float bilinear(float[] x, int w, int h, double fx, double fy) {
    int x0 = (int) Math.floor(fx);
    int y0 = (int) Math.floor(fy);
    double ax = fx - x0;
    double ay = fy - y0;
    return (float) ((1 - ax) * (1 - ay) * px(x, w, h, x0, y0) + ax * (1 - ay) * px(x, w, h, x0 + 1, y0)
        + (1 - ax) * ay * px(x, w, h, x0, y0 + 1) + ax * ay * px(x, w, h, x0 + 1, y0 + 1));
  }

  private static float px(float[] x, int w, int h, int i, int j) {
    return i < 0 || j < 0 || i >= w || j >= h ? 0f : x[j * w + i];
  }

  @Override
  public List<TokenLogProb> topTokens(String prompt, int k) {
    throw new UnsupportedOperationException("the embedded image generator has no next-token API (DP few-shot generation is text only)");
  }
}
