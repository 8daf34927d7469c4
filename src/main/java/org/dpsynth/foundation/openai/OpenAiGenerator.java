package org.dpsynth.foundation.openai;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.LongFunction;
import java.util.function.Supplier;
import org.dpsynth.foundation.Generator;

/**
 * {@link Generator} over an OpenAI-compatible API, following Aug-PE (Xie et al., ICML 2024):
 *
 * <ul>
 *   <li>{@code random}: one chat completion per sample from the random prompt with the label, a
 *       keyword drawn from the label's list and a target length drawn uniformly in [0.5, 1.5] ×
 *       {@code targetWords};
 *   <li>{@code variation}: per text, a fair coin picks either "rephrase in a random style" or "fill
 *       in the blanks" where round(degree × words) words (at least one) are replaced by {@code _};
 *       degree 0 returns the inputs without any request;
 *   <li>{@code topTokens}: {@code /completions} with {@code logprobs=k, max_tokens=1} (or chat with
 *       {@code top_logprobs=k}, see {@link OpenAiSettings.LogprobsApi}).
 * </ul>
 *
 * All choices derive from the call's seed, and each request carries a derived {@code seed}, so a
 * call is reproducible where the server honours seeds, and a resumed run hits the cache. Outputs
 * are stripped of surrounding whitespace and quotes; an empty output is re-requested with a new
 * seed up to {@code maxAttempts} times, then fails with an error that names the sample index only.
 */
public final class OpenAiGenerator implements Generator {

  private final OpenAiClient client;
  private final boolean ownsClient;
  private final OpenAiSettings settings;
  private final PromptTemplates templates;

  /** A generator with its own client (API key from {@code System.getenv}). */
  public OpenAiGenerator(OpenAiSettings settings) {
    this(new OpenAiClient(settings), true);
  }

  /** A generator sharing {@code client}; closing it leaves the client open. */
  public OpenAiGenerator(OpenAiClient client) {
    this(client, false);
  }

  private OpenAiGenerator(OpenAiClient client, boolean ownsClient) {
    this.client = client;
    this.ownsClient = ownsClient;
    this.settings = client.settings();
    this.templates = PromptTemplates.load(settings.promptTemplatesDir());
  }

  public PromptTemplates templates() {
    return templates;
  }

  @Override
  public List<String> random(String label, int n, long seed) {
    return randomSamples(client, label, n, seed, (index, s) -> {
      SplittableRandom rng = new SplittableRandom(s);
      String keyword = templates.randomKeyword(label, rng);
      int length = Math.max(1, (int) Math.round(settings.targetWords() * (0.5 + rng.nextDouble())));
      String prompt = templates.random(label, keyword, length);
      return chat(prompt, rng.nextLong(), "random sample " + index + " of label " + label);
    });
  }

  /** One request of a generator: sample or input {@code index}, with its own derived seed. */
  @FunctionalInterface
  interface SampleRequest {
    String call(int index, long seed);
  }

  /**
   * RANDOM_API scaffolding shared by the text and image generators: checks the arguments and runs
   * {@code request} for samples 0..n−1 (seed {@code mix(seed, i)}) on the client's pool, in order.
   */
  static List<String> randomSamples(OpenAiClient client, String label, int n, long seed, SampleRequest request) {
    if (label == null) {
      throw new IllegalArgumentException("label must not be null");
    }
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0, got " + n);
    }
    List<Supplier<String>> tasks = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long s = mix(seed, i);
      int index = i;
      tasks.add(() -> request.call(index, s));
    }
    return n == 0 ? List.of() : client.inParallel(tasks);
  }

  /**
   * VARIATION_API scaffolding shared by the text and image generators: checks the degree and the
   * inputs, returns the inputs for degree 0, else runs {@code request} for each input (seed {@code
   * mix(seed, i)}) on the client's pool, in order.
   */
  static List<String> variations(OpenAiClient client, List<String> inputs, double degree, long seed, SampleRequest request) {
    if (!(degree >= 0 && degree <= 1)) {
      throw new IllegalArgumentException("degree must be in [0, 1], got " + degree);
    }
    if (degree == 0 || inputs.isEmpty()) {
      return new ArrayList<>(inputs);
    }
    List<Supplier<String>> tasks = new ArrayList<>(inputs.size());
    for (int i = 0; i < inputs.size(); i++) {
      if (inputs.get(i) == null) {
        throw new IllegalArgumentException("texts[" + i + "] is null");
      }
      long s = mix(seed, i);
      int index = i;
      tasks.add(() -> request.call(index, s));
    }
    return client.inParallel(tasks);
  }

  @Override
  public List<String> variation(List<String> texts, double degree, long seed) {
    return variation(null, texts, degree, seed);
  }

  /** As {@link #variation(List, double, long)}, with {@code label} (public) in the prompts' {@code {label}}. */
  @Override
  public List<String> variation(String label, List<String> texts, double degree, long seed) {
    return variations(client, texts, degree, seed, (index, s) -> {
      String text = texts.get(index);
      SplittableRandom rng = new SplittableRandom(s);
      String[] words = text.strip().split("\\s+");
      boolean fill = rng.nextBoolean() && !text.isBlank();
      String prompt =
          fill
              ? templates.fill(mask(words, degree, rng), label)
              : templates.rephrase(text, templates.randomStyle(rng), label);
      return chat(prompt, rng.nextLong(), "variation " + index);
    });
  }

  /** Replaces round(degree × words.length) words (at least one), chosen uniformly, by {@code _}. */
  static String mask(String[] words, double degree, SplittableRandom rng) {
    int n = words.length;
    int m = Math.min(n, Math.max(1, (int) Math.round(degree * n)));
    int[] order = uniformSubset(n, m, rng);
    String[] out = words.clone();
    for (int i = 0; i < m; i++) {
      out[order[i]] = "_";
    }
    return String.join(" ", out);
  }

  /** 0..n−1 in an order whose first {@code m} entries are a uniform m-subset (partial Fisher–Yates). */
  static int[] uniformSubset(int n, int m, SplittableRandom rng) {
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    for (int i = 0; i < m; i++) {
      int j = i + rng.nextInt(n - i);
      int t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    return order;
  }

  private String chat(String prompt, long seed, String what) {
    return nonEmpty(
        s -> {
          ObjectNode req = client.newRequest();
          ObjectNode msg = req.putArray("messages").addObject();
          msg.put("role", "user");
          msg.put("content", prompt);
          req.put("temperature", settings.temperature());
          req.put("max_tokens", settings.maxTokens());
          req.put("n", 1);
          req.put("seed", s);
          return client.post(OpenAiClient.CHAT_COMPLETIONS, req, OpenAiGenerator::chatContent);
        },
        seed,
        what);
  }

  /** Calls {@code request} with successive seeds until the stripped output is non-empty. */
  private String nonEmpty(LongFunction<String> request, long seed, String what) {
    int attempts = settings.maxAttempts();
    for (int a = 0; a < attempts; a++) {
      // Seeds stay in [0, 2^31) because some servers reject larger ones.
      long s = (mix(seed, a) >>> 33);
      String out = strip(request.apply(s));
      if (!out.isEmpty()) {
        return out;
      }
    }
    throw new IllegalStateException(
        what + ": the model returned empty output " + attempts + " times (different seeds)");
  }

  static String chatContent(JsonNode response) {
    JsonNode choice = response.path("choices").path(0);
    if (choice.isMissingNode() || !choice.isObject()) {
      throw new MalformedResponseException("chat completion has no choices[0]");
    }
    JsonNode message = choice.path("message");
    if (!message.isObject()) {
      throw new MalformedResponseException("chat completion has no choices[0].message");
    }
    JsonNode content = message.get("content");
    if (content != null && !content.isNull() && !content.isTextual()) {
      throw new MalformedResponseException("choices[0].message.content is not a string");
    }
    return content == null || content.isNull() ? "" : content.asText();
  }

  /**
   * Removes surrounding whitespace and matching quotes (straight, curly, backticks), repeatedly.
   */
  static String strip(String s) {
    String t = s == null ? "" : s.strip();
    while (t.length() >= 2) {
      char a = t.charAt(0);
      char b = t.charAt(t.length() - 1);
      boolean quoted =
          (a == '"' && b == '"')
              || (a == '\'' && b == '\'')
              || (a == '`' && b == '`')
              || (a == '\u201C' && b == '\u201D')
              || (a == '\u2018' && b == '\u2019')
              || (a == '\u00AB' && b == '\u00BB');
      if (!quoted) {
        break;
      }
      t = t.substring(1, t.length() - 1).strip();
    }
    if (t.length() == 1 && "\"'`".indexOf(t.charAt(0)) >= 0) {
      return "";
    }
    return t;
  }

  @Override
  public List<TokenLogProb> topTokens(String prompt, int k) {
    if (prompt == null) {
      throw new IllegalArgumentException("prompt must not be null");
    }
    if (k < 1) {
      throw new IllegalArgumentException("k must be >= 1, got " + k);
    }
    // Servers refuse more than their cap (OpenAI chat 20, legacy completions 5, vLLM 20 by default):
    // never ask for more than maxTopLogprobs; tokens below the answer count as unseen.
    int asked = Math.min(k, settings.maxTopLogprobs());
    ObjectNode req = client.newRequest();
    String endpoint;
    if (settings.logprobsApi() == OpenAiSettings.LogprobsApi.CHAT) {
      endpoint = OpenAiClient.CHAT_COMPLETIONS;
      ObjectNode msg = req.putArray("messages").addObject();
      msg.put("role", "user");
      msg.put("content", prompt);
      req.put("logprobs", true);
      req.put("top_logprobs", asked);
    } else {
      endpoint = OpenAiClient.COMPLETIONS;
      req.put("prompt", prompt);
      req.put("logprobs", asked);
    }
    req.put("max_tokens", 1);
    req.put("temperature", 0);
    req.put("seed", 0);
    List<TokenLogProb> all = client.post(endpoint, req, OpenAiGenerator::parseTopLogprobs);
    return all.size() > asked ? List.copyOf(all.subList(0, asked)) : all;
  }

  /**
   * First-position top log-probabilities, most likely first, from either {@code
   * choices[0].logprobs.top_logprobs[0]} (completions: token → logprob) or {@code
   * choices[0].logprobs.content[0].top_logprobs} (chat: [{token, logprob}]).
   */
  static List<TokenLogProb> parseTopLogprobs(JsonNode response) {
    JsonNode logprobs = response.path("choices").path(0).path("logprobs");
    List<TokenLogProb> out = new ArrayList<>();
    JsonNode completions = logprobs.path("top_logprobs").path(0);
    JsonNode chat = logprobs.path("content").path(0).path("top_logprobs");
    if (completions.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = completions.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> e = it.next();
        out.add(new TokenLogProb(e.getKey(), logProb(e.getValue())));
      }
    } else if (chat.isArray()) {
      for (JsonNode entry : chat) {
        JsonNode token = entry.get("token");
        if (token == null || !token.isTextual()) {
          throw new MalformedResponseException("top_logprobs entry has no string 'token'");
        }
        out.add(new TokenLogProb(token.asText(), logProb(entry.get("logprob"))));
      }
    } else {
      throw new MalformedResponseException(
          "response has no choices[0].logprobs.top_logprobs[0] or"
              + " choices[0].logprobs.content[0].top_logprobs (does the server support logprobs?)");
    }
    if (out.isEmpty()) {
      throw new MalformedResponseException("top_logprobs is empty");
    }
    out.sort(Comparator.comparingDouble(TokenLogProb::logProb).reversed());
    return List.copyOf(out);
  }

  private static double logProb(JsonNode v) {
    if (v == null || !v.isNumber()) {
      throw new MalformedResponseException("a top_logprobs value is not a number");
    }
    double lp = v.asDouble();
    // -Infinity (probability 0) is legitimate; NaN and positive values are not log-probabilities.
    if (Double.isNaN(lp) || lp > 1e-6) {
      throw new MalformedResponseException("a top_logprobs value is not a log-probability");
    }
    return Math.min(lp, 0.0);
  }

  /** SplitMix64 finaliser over (seed, index): independent-looking streams per sample. */
  static long mix(long seed, long index) {
    long z = seed + 0x9E3779B97F4A7C15L * (index + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  @Override
  public void close() {
    if (ownsClient) {
      client.close();
    }
  }

  @Override
  public String toString() {
    return "OpenAiGenerator[" + client + "]";
  }
}
