package org.dpsynth.foundation.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.dpsynth.foundation.Generator;
import org.dpsynth.foundation.image.GrayImage;

/**
 * {@link Generator} over an OpenAI-compatible images API (OpenAI, or a Stable-Diffusion server that
 * speaks it), following Private Evolution for images (Lin et al., ICLR 2024):
 *
 * <ul>
 *   <li>RANDOM_API: one {@code POST /images/generations} per sample, the prompt {@link
 *       Options#prompt} with {@code {label}} filled in;
 *   <li>VARIATION_API, {@link ImageApi#EDITS}: one {@code POST /images/edits} per parent (the parent
 *       enlarged to the request size as {@code image}, the prompt, and a {@code mask} whose
 *       transparent cells, round(degree × 64) of an 8 × 8 grid (at least one) chosen from the seed,
 *       are where the model may repaint: the image counterpart of Aug-PE's fill-in-the-blanks);
 *   <li>VARIATION_API, {@link ImageApi#VARIATIONS}: one {@code POST /images/variations} per parent
 *       (image only; the API has no strength, so any degree > 0 asks for the same kind of change).
 * </ul>
 *
 * Degree 0 returns the parents without a request. Every answer ({@code data[0].b64_json}) is
 * decoded, converted to gray and resized to the run's {@code width × height} (area averaging), so a
 * server that returns another size still yields run-sized payloads. The images API has no {@code
 * seed}: each request carries a cache salt derived from the call's seed, so distinct samples get
 * distinct cache entries and a resumed run gets the same images back from the cache. Retries,
 * backoff, the cache, concurrency and the key are {@link OpenAiClient}'s. No next-token API.
 */
public final class OpenAiImageGenerator implements Generator {

  /** Which endpoint serves the VARIATION_API. */
  public enum ImageApi {
    EDITS,
    VARIATIONS
  }

  /** Cells per side of the edit mask grid. */
  static final int MASK_GRID = 8;

  /** The square sizes of dall-e-2 (generations, edits, variations), which most compatible servers take. */
  static final int[] AUTO_SIZES = {256, 512, 1024};

  private static final Pattern SIZE = Pattern.compile("(\\d{1,5})x(\\d{1,5})");

  /**
   * The image settings of one run.
   *
   * @param width width of the run's images (input.image_width)
   * @param height height of the run's images (input.image_height)
   * @param api endpoint of the variation API
   * @param size {@code auto} (the smallest of 256x256, 512x512, 1024x1024 that covers the run's
   *     size, else 1024x1024) or {@code WxH} sent as is
   * @param prompt prompt of generations and edits; {@code {label}} is replaced by the label
   */
  public record Options(int width, int height, ImageApi api, String size, String prompt) implements Serializable {
    public Options {
      if (width < 1 || height < 1) {
        throw new IllegalArgumentException("image size: expected width and height >= 1, got " + width + "x" + height);
      }
      if (api == null) {
        throw new IllegalArgumentException("generator.image_api: expected edits or variations");
      }
      requestSize(size, width, height); // validates
      if (prompt == null || prompt.isBlank()) {
        throw new IllegalArgumentException("generator.image_prompt: expected a non-blank prompt");
      }
    }
  }

  private final OpenAiClient client;
  private final boolean ownsClient;
  private final Options options;
  private final int requestWidth;
  private final int requestHeight;

  /** A generator with its own client (API key from {@code System.getenv}). */
  public OpenAiImageGenerator(OpenAiSettings settings, Options options) {
    this(new OpenAiClient(settings), true, options);
  }

  /** A generator sharing {@code client}; closing it leaves the client open. */
  public OpenAiImageGenerator(OpenAiClient client, Options options) {
    this(client, false, options);
  }

  private OpenAiImageGenerator(OpenAiClient client, boolean ownsClient, Options options) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.options = options;
    int[] rs = requestSize(options.size(), options.width(), options.height());
    this.requestWidth = rs[0];
    this.requestHeight = rs[1];
  }

  /** The {@code size} sent to the API for {@code spec} and a run of {@code w × h}, as {width, height}. */
  static int[] requestSize(String spec, int w, int h) {
    String s = spec == null ? "" : spec.strip().toLowerCase(Locale.ROOT);
    if (s.equals("auto")) {
      int side = Math.max(w, h);
      for (int a : AUTO_SIZES) {
        if (a >= side) {
          return new int[] {a, a};
        }
      }
      return new int[] {AUTO_SIZES[AUTO_SIZES.length - 1], AUTO_SIZES[AUTO_SIZES.length - 1]};
    }
    Matcher m = SIZE.matcher(s);
    if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(2)) < 1) {
      throw new IllegalArgumentException("generator.image_size: expected auto or WIDTHxHEIGHT such as 512x512, got " + spec);
    }
    return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
  }

  String sizeParameter() {
    return requestWidth + "x" + requestHeight;
  }

  @Override
  public List<String> random(String label, int n, long seed) {
    return OpenAiGenerator.randomSamples(client, label, n, seed, (index, s) -> {
      ObjectNode req = client.newRequest();
      req.put("prompt", prompt(label));
      req.put("n", 1);
      req.put("size", sizeParameter());
      if (acceptsResponseFormat()) {
        req.put("response_format", "b64_json");
      }
      return client.post(OpenAiClient.IMAGES_GENERATIONS, req, this::image, Long.toString(s));
    });
  }

  @Override
  public List<String> variation(List<String> payloads, double degree, long seed) {
    return variation(null, payloads, degree, seed);
  }

  @Override
  public List<String> variation(String label, List<String> payloads, double degree, long seed) {
    return OpenAiGenerator.variations(client, payloads, degree, seed, (index, s) -> {
      GrayImage parent = GrayImage.ofPayload(payloads.get(index));
      MultipartForm form = new MultipartForm().field("model", client.settings().model());
      form.file("image", "image.png", "image/png", parent.resized(requestWidth, requestHeight).png());
      String endpoint;
      if (options.api() == ImageApi.EDITS) {
        endpoint = OpenAiClient.IMAGES_EDITS;
        form.file("mask", "mask.png", "image/png", mask(requestWidth, requestHeight, degree, new SplittableRandom(s)));
        form.field("prompt", prompt(label));
      } else {
        endpoint = OpenAiClient.IMAGES_VARIATIONS;
      }
      form.field("n", "1").field("size", sizeParameter());
      if (acceptsResponseFormat()) {
        form.field("response_format", "b64_json");
      }
      return client.postMultipart(endpoint, form, this::image, Long.toString(s));
    });
  }

  private String prompt(String label) {
    return PromptTemplates.render(options.prompt(), Map.of("label", label == null ? PromptTemplates.NO_LABEL : label));
  }

  /** GPT image models always answer in base64 and reject {@code response_format}. */
  private boolean acceptsResponseFormat() {
    return !client.settings().model().toLowerCase(Locale.ROOT).startsWith("gpt-image");
  }

  /**
   * An RGBA PNG mask of {@code w × h}: opaque everywhere except round(degree × 64) cells (at least
   * one) of an 8 × 8 grid, chosen uniformly with {@code rng}, which are fully transparent.
   */
  static byte[] mask(int w, int h, double degree, SplittableRandom rng) {
    int cells = MASK_GRID * MASK_GRID;
    int m = Math.min(cells, Math.max(1, (int) Math.round(degree * cells)));
    int[] order = OpenAiGenerator.uniformSubset(cells, m, rng);
    boolean[] open = new boolean[cells];
    for (int i = 0; i < m; i++) {
      open[order[i]] = true;
    }
    BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
    for (int y = 0; y < h; y++) {
      int cy = Math.min(MASK_GRID - 1, y * MASK_GRID / h);
      for (int x = 0; x < w; x++) {
        int cx = Math.min(MASK_GRID - 1, x * MASK_GRID / w);
        img.setRGB(x, y, open[cy * MASK_GRID + cx] ? 0x00000000 : 0xFF000000);
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      ImageIO.write(img, "png", out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** {@code data[0].b64_json} as a run-sized gray payload; shape problems are retried, never quoted. */
  private String image(JsonNode response) {
    JsonNode item = response.path("data").path(0);
    if (!item.isObject()) {
      throw new MalformedResponseException("images response has no data[0]");
    }
    JsonNode b64 = item.get("b64_json");
    if (b64 == null || !b64.isTextual()) {
      throw new MalformedResponseException(item.has("url")
          ? "images response has data[0].url but no b64_json (the server ignored response_format=b64_json)"
          : "images response has no string data[0].b64_json");
    }
    byte[] png;
    try {
      png = Base64.getDecoder().decode(b64.asText().replaceAll("\\s+", ""));
    } catch (IllegalArgumentException e) {
      throw new MalformedResponseException("data[0].b64_json is not valid base64");
    }
    GrayImage g = GrayImage.decode(png);
    if (g == null) {
      throw new MalformedResponseException("data[0].b64_json is not a decodable image (" + png.length + " bytes)");
    }
    return g.resized(options.width(), options.height()).payload();
  }

  @Override
  public List<TokenLogProb> topTokens(String prompt, int k) {
    throw new UnsupportedOperationException("the images API has no next-token API (DP few-shot generation is text only)");
  }

  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }

  @Override
  public String toString() {
    return "OpenAiImageGenerator[" + client + ", api=" + options.api() + ", size=" + sizeParameter() + "]";
  }
}
