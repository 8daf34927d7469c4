package org.dpsynth.foundation.ngram;

import org.dpsynth.text.PublicCorpus;
import org.dpsynth.text.WordTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.dpsynth.foundation.Generator;

/**
 * The embedded demo generator ({@code generator.type = local}): a word trigram model with
 * interpolated modified Kneser–Ney smoothing plus a unigram cache (Kuhn &amp; De Mori 1990),
 * P(w | h, c) = λ·P_KN(w | h) + (1 − λ)·P_cache(w | c), built at first use from a public corpus: the built-in one in the jar, or the user's
 * {@code generator.public_corpus} ({@link #fromRecords}).
 *
 * <p>It is a demonstration model, not a neural LM: texts are locally fluent and globally loose.
 * It runs in-process, downloads nothing, is deterministic per seed, and is thread-safe (the model
 * is immutable; per-call state lives in per-thread scratch buffers).
 *
 * <ul>
 *   <li>{@link #random}: samples with temperature and top-k to a target length drawn uniformly
 *       from [minWords, maxWords], then stops at the next sentence end; the cache holds the
 *       label's keywords and each emitted keyword's weight is quartered to avoid loops.
 *   <li>{@link #variation}: Aug-PE-style fill-in-the-blanks. A {@code degree} fraction of word
 *       positions (at least one when degree &gt; 0) is masked; each blank, left to right, is
 *       refilled from the top candidates under P(w | left two tokens) with the original text as
 *       cache, re-weighted by P(r1 | prev, w)·P(r2 | w, r1) for the unmasked right neighbours, and
 *       never with the word that was there. Output is re-cased only where words were replaced.
 *       With a label ({@link #variation(String, List, double, long)}, what PE calls), the label's
 *       words and keywords are never masked and a quarter of the cache is the label's topic: the
 *       words that best mark the public-corpus records containing one of its keywords.
 *   <li>Label keywords: the configured ones ({@link #withLabelKeywords}); without them, for a
 *       labelled public corpus, the words that best mark each label's public records ({@link
 *       LabelKeywords}); always the label's own words.
 *   <li>Public mode ({@link #withPublicMode}, {@code generator.mode: public}): the random API draws
 *       public records (of the label when the public corpus is labelled; else those whose TF-IDF
 *       cosine to the label's keywords is positive and at least that to every other known label's),
 *       and a {@code share} of variations are public near neighbours of the parent (TF-IDF cosine,
 *       {@link PublicIndex}) picked uniformly among the ceil(degree × {@code neighbours}) nearest, so
 *       the degree sets how far; the other variations are the fill-in rewrites above. Such texts are
 *       verbatim copies of public records and are reported as {@link Generator.Provenance#PUBLIC}.
 *   <li>{@link #topTokens}: exact top-k of the full next-token distribution (vocabulary plus
 *       {@value #EOS_TOKEN}, the end-of-text token, i.e. the "\n" of a completion API), with the
 *       prompt as cache; log-probabilities are natural logs and sum to ≤ 0 in probability space.
 * </ul>
 */
public final class LocalGenerator implements Generator {

  /** Classpath resource the build copies {@code data-samples/public-corpus.jsonl} to. */
  public static final String CORPUS_RESOURCE = "dpsynth/public-corpus.jsonl";

  /** The end-of-text token in {@link #topTokens} results. */
  public static final String EOS_TOKEN = KneserNeyModel.EOS_TOKEN;

  private static final double KEYWORD_DECAY = 0.25;
  /**
   * Share of the fill-in cache that label-conditioned variation gives to the label's topic. A
   * quarter, not a half: at 0.5 PE's variations filled up with topic words and the final synthetic
   * set's recall fell to about 0.03 on the sample data (README, "Evaluating a run").
   */
  static final double LABEL_CACHE_SHARE = 0.25;
  /** How many words a label's topic (public co-occurrence with its keywords) holds. */
  static final int TOPIC_WORDS = 100;
  private static final int MAX_OVERRUN_WORDS = 20;
  /** How many keywords {@link LabelKeywords} derives per label of a labelled public corpus. */
  static final int DERIVED_KEYWORDS = 8;
  /** Stream index of the public-mode coin and neighbour pick, apart from the rewrite's own draws. */
  private static final long PUBLIC_STREAM = 0x5075626cL;

  private static volatile LocalGenerator shared;

  private final KneserNeyModel model;
  private final Options options;
  /** Configured keywords ({@code generator.keywords}); empty: the corpus's derived ones. */
  private final Map<String, List<String>> labelKeywords;
  private final Corpus corpus;
  /** Null in ngram mode. */
  private final PublicMode publicMode;
  /** Label → its conditioning for variation; derived from public data only, memoised. */
  private final Map<String, LabelCondition> conditions = new ConcurrentHashMap<>();
  /** Label → the public records its random API draws from in public mode, memoised. */
  private final Map<String, int[]> pools = new ConcurrentHashMap<>();

  /**
   * Public mode settings.
   *
   * @param share the probability that a variation is a public near neighbour rather than a rewrite
   * @param neighbours how many nearest public records a variation of degree 1 picks among
   */
  public record PublicMode(double share, int neighbours) {
    public PublicMode {
      if (!(share >= 0 && share <= 1)) {
        throw new IllegalArgumentException("public share must be in [0, 1]: " + share);
      }
      if (neighbours < 1) {
        throw new IllegalArgumentException("neighbours must be >= 1: " + neighbours);
      }
    }
  }

  /** The public corpus a model was built from: its records, derived keywords and (lazily) its index. */
  private static final class Corpus {
    final PublicCorpus.Records records;
    final Map<String, List<String>> derivedKeywords;
    private volatile PublicIndex index;

    Corpus(PublicCorpus.Records records) {
      this.records = records;
      this.derivedKeywords = LabelKeywords.derive(records, DERIVED_KEYWORDS);
    }

    PublicIndex index() {
      PublicIndex i = index;
      if (i == null) {
        synchronized (this) {
          i = index;
          if (i == null) {
            i = PublicIndex.build(records);
            index = i;
          }
        }
      }
      return i;
    }
  }

  /**
   * Sampling settings.
   *
   * @param cacheWeight 1 − λ, the weight of the cache distribution (0 disables the cache)
   * @param temperature softmax temperature of {@link #random} sampling
   * @param topK how many of the most likely tokens {@link #random} samples from
   * @param minWords lower end of the target length of {@link #random} texts, in words
   * @param maxWords upper end of the target length of {@link #random} texts, in words
   * @param variationTemperature temperature applied to the fill-in scores of {@link #variation}
   * @param variationCandidates how many of the most likely left-context tokens a blank considers
   */
  public record Options(
      double cacheWeight,
      double temperature,
      int topK,
      int minWords,
      int maxWords,
      double variationTemperature,
      int variationCandidates) {
    public Options {
      if (!(cacheWeight >= 0 && cacheWeight < 1)) {
        throw new IllegalArgumentException("cacheWeight must be in [0, 1): " + cacheWeight);
      }
      if (!(temperature > 0) || !(variationTemperature > 0)) {
        throw new IllegalArgumentException("temperatures must be > 0");
      }
      if (topK < 1 || variationCandidates < 1) {
        throw new IllegalArgumentException("topK and variationCandidates must be >= 1");
      }
      if (minWords < 1 || maxWords < minWords) {
        throw new IllegalArgumentException(
            "need 1 <= minWords <= maxWords, got " + minWords + ", " + maxWords);
      }
    }

    public static Options defaults() {
      return new Options(0.1, 0.9, 40, 8, 40, 0.8, 30);
    }
  }

  private LocalGenerator(KneserNeyModel model, Options options, Map<String, List<String>> labelKeywords,
      Corpus corpus, PublicMode publicMode) {
    this.model = model;
    this.options = options;
    this.labelKeywords = labelKeywords;
    this.corpus = corpus;
    this.publicMode = publicMode;
  }

  // ---------------------------------------------------------------- factories

  /**
   * The per-JVM instance built from the classpath resource {@value #CORPUS_RESOURCE} on first
   * use (Spark executors share it across tasks). Throws {@link IllegalStateException} if the
   * resource is missing.
   */
  public static LocalGenerator shared() {
    LocalGenerator g = shared;
    if (g == null) {
      synchronized (LocalGenerator.class) {
        g = shared;
        if (g == null) {
          g = fromResource(CORPUS_RESOURCE);
          shared = g;
        }
      }
    }
    return g;
  }

  /** Builds from a JSON Lines classpath resource (see {@link PublicCorpus}). */
  public static LocalGenerator fromResource(String resource) {
    ClassLoader cl = Thread.currentThread().getContextClassLoader();
    if (cl == null) {
      cl = LocalGenerator.class.getClassLoader();
    }
    InputStream in = cl.getResourceAsStream(resource);
    if (in == null) {
      in = LocalGenerator.class.getClassLoader().getResourceAsStream(resource);
    }
    if (in == null) {
      throw new IllegalStateException(
          "generator.type=local: classpath resource '" + resource + "' not found. The build"
              + " copies data-samples/public-corpus.jsonl there; rebuild the jar, or use"
              + " generator.type=openai.");
    }
    try (InputStream stream = in) {
      return fromJsonl(stream, "classpath:" + resource);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read classpath resource " + resource, e);
    }
  }

  public static LocalGenerator fromJsonl(Path path) {
    return fromJsonl(path.toString(), PublicCorpus.readJsonl(path));
  }

  public static LocalGenerator fromJsonl(InputStream in, String sourceName) {
    return fromJsonl(sourceName, PublicCorpus.readJsonl(in, sourceName));
  }

  private static LocalGenerator fromJsonl(String sourceName, List<String> texts) {
    return fromRecords(new PublicCorpus.Records(texts, null, sourceName + " (" + texts.size() + " records, unlabelled)"));
  }

  /** Builds from public texts already in memory (unlabelled). */
  public static LocalGenerator fromTexts(List<String> publicTexts) {
    return fromRecords(new PublicCorpus.Records(publicTexts, null, publicTexts.size() + " public texts"));
  }

  /**
   * Builds from a public corpus (a user's {@code generator.public_corpus}, {@link
   * PublicCorpus#read}): the n-gram model and topics from its texts and, for a labelled corpus, each
   * label's derived keywords ({@link LabelKeywords}).
   */
  public static LocalGenerator fromRecords(PublicCorpus.Records records) {
    return new LocalGenerator(KneserNeyModel.build(records.texts()), Options.defaults(), Map.of(),
        new Corpus(records), null);
  }

  /** The same model with other sampling settings (no rebuild). */
  public LocalGenerator withOptions(Options newOptions) {
    return new LocalGenerator(model, Objects.requireNonNull(newOptions), labelKeywords, corpus, publicMode);
  }

  /**
   * The same model, conditioning {@link #random} for a label on the given keywords (plus the
   * label's own words) instead of the label's words alone; configured keywords replace the derived
   * ones. No rebuild.
   */
  public LocalGenerator withLabelKeywords(Map<String, List<String>> keywords) {
    return new LocalGenerator(model, options, Map.copyOf(keywords), corpus, publicMode);
  }

  /** The same model in public mode ({@code generator.mode: public}); null: back to ngram mode. */
  public LocalGenerator withPublicMode(PublicMode mode) {
    return new LocalGenerator(model, options, labelKeywords, corpus, mode);
  }

  /**
   * The keywords {@link #random} and label-conditioned variation use for {@code label} besides the
   * label's own words: the configured ones if any keywords are configured, else the ones derived
   * from a labelled public corpus, else none. Public data and configuration only.
   */
  public List<String> keywordsOf(String label) {
    Map<String, List<String>> source = labelKeywords.isEmpty() ? corpus.derivedKeywords : labelKeywords;
    return source.getOrDefault(label, List.of());
  }

  /** The keywords derived from the labelled public corpus, per label (empty when unlabelled). */
  public Map<String, List<String>> derivedKeywords() {
    return corpus.derivedKeywords;
  }

  public Options options() {
    return options;
  }

  /** One line saying what this model is, for logs and run manifests. */
  public String describe() {
    return String.format(
        "local demo generator: word trigram, interpolated modified Kneser-Ney + unigram cache"
            + " (cache weight %.2f); public corpus %s; %d public records, %d tokens, %d word types,"
            + " %d trigram types; %s; not a neural language model",
        options.cacheWeight, corpus.records.description(), model.records(), model.tokens(),
        model.vocabularySize() - 3, model.trigramTypes(),
        publicMode == null ? "ngram mode"
            : String.format("public mode (share %.2f, %d neighbours)", publicMode.share(), publicMode.neighbours()));
  }

  KneserNeyModel model() {
    return model;
  }

  /** The seed {@link #variation(List, double, long)} and {@link #random} use for item {@code index}. */
  public static long itemSeed(long seed, int index) {
    return SplitMix64.derive(seed, index);
  }

  // ---------------------------------------------------------------- RANDOM_API

  /**
   * {@code n} texts for {@code label}. Text i depends only on (label, keywords, seed, i): its seed
   * is {@code itemSeed(itemSeed(seed, hash(label)), i)}.
   */
  @Override
  public List<String> random(String label, int n, long seed) {
    return texts(randomWithProvenance(label, n, seed));
  }

  /**
   * {@link #random} with provenance: in public mode text i is the public record at a uniform
   * position (seeded like a generated text) of the label's pool, {@code PUBLIC}; else generated.
   */
  @Override
  public List<Text> randomWithProvenance(String label, int n, long seed) {
    if (n < 0) {
      throw new IllegalArgumentException("n must be >= 0: " + n);
    }
    String lab = label == null ? "" : label;
    long base = SplitMix64.derive(seed, SplitMix64.hash(lab));
    List<Text> out = new ArrayList<>(n);
    if (publicMode != null) {
      int[] pool = pool(lab);
      PublicIndex index = corpus.index();
      for (int i = 0; i < n; i++) {
        int r = pool[new SplitMix64(itemSeed(base, i)).nextInt(pool.length)];
        out.add(new Text(index.text(r), Provenance.PUBLIC));
      }
      return out;
    }
    KneserNeyModel.Cache cache = labelCache(lab);
    for (int i = 0; i < n; i++) {
      out.add(new Text(generate(cache.copy(), new SplitMix64(itemSeed(base, i))), Provenance.GENERATED));
    }
    return out;
  }

  /**
   * The public records public-mode random samples of {@code label} come from: the label's records
   * in a labelled corpus; otherwise the records whose TF-IDF cosine to the label's words and
   * keywords is positive and not below their cosine to any other label with keywords; all records
   * if that leaves none.
   */
  int[] pool(String label) {
    return pools.computeIfAbsent(label, l -> {
      PublicIndex index = corpus.index();
      int[] own = index.recordsOf(l);
      if (own != null) {
        return own;
      }
      double[] mine = index.cosines(keywordTokens(l));
      List<double[]> others = new ArrayList<>();
      Map<String, List<String>> known = labelKeywords.isEmpty() ? corpus.derivedKeywords : labelKeywords;
      for (String other : known.keySet()) {
        if (!other.equals(l)) {
          others.add(index.cosines(keywordTokens(other)));
        }
      }
      List<Integer> pool = new ArrayList<>();
      for (int r = 0; r < mine.length; r++) {
        boolean best = mine[r] > 0;
        for (int o = 0; best && o < others.size(); o++) {
          best = mine[r] >= others.get(o)[r];
        }
        if (best) {
          pool.add(r);
        }
      }
      if (pool.isEmpty()) {
        int[] all = new int[index.size()];
        Arrays.setAll(all, i -> i);
        return all;
      }
      return pool.stream().mapToInt(Integer::intValue).toArray();
    });
  }

  /** The label's own words and its keywords, tokenised. */
  private List<String> keywordTokens(String label) {
    List<String> toks = new ArrayList<>(WordTokenizer.tokenize(label));
    for (String kw : keywordsOf(label)) {
      toks.addAll(WordTokenizer.tokenize(kw));
    }
    return toks;
  }

  private static List<String> texts(List<Text> texts) {
    List<String> out = new ArrayList<>(texts.size());
    texts.forEach(t -> out.add(t.text()));
    return out;
  }

  private KneserNeyModel.Cache labelCache(String label) {
    List<String> toks = keywordTokens(label);
    int[] ids = new int[toks.size()];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = model.id(toks.get(i));
    }
    return KneserNeyModel.Cache.of(ids, ids.length, model, true);
  }

  private String generate(KneserNeyModel.Cache cache, SplitMix64 rng) {
    int target = options.minWords + rng.nextInt(options.maxWords - options.minWords + 1);
    List<String> toks = new ArrayList<>();
    int u = KneserNeyModel.BOS;
    int v = KneserNeyModel.BOS;
    int words = 0;
    int maxTokens = 3 * (target + MAX_OVERRUN_WORDS);
    while (toks.size() < maxTokens) {
      KneserNeyModel.Scratch s = model.collect(u, v, cache, options.cacheWeight, options.topK);
      boolean allowEos = words >= target;
      // the first token must be a word, so texts do not open with stray punctuation
      int next = sample(s, options.topK, options.temperature, allowEos, toks.isEmpty(), -1, rng);
      if (next == KneserNeyModel.EOS) {
        break;
      }
      toks.add(model.display(next));
      cache.decay(next, KEYWORD_DECAY);
      if (model.isWord(next)) {
        words++;
      }
      if (words >= target && model.isSentenceEnd(next) || words >= target + MAX_OVERRUN_WORDS) {
        break;
      }
      u = v;
      v = next;
    }
    return WordTokenizer.detokenize(toks);
  }

  /**
   * Samples ∝ p^(1/temperature) among the {@code k} most probable admissible candidates. Returns
   * -1 if no candidate is admissible.
   */
  private int sample(
      KneserNeyModel.Scratch s,
      int k,
      double temperature,
      boolean allowEos,
      boolean wordsOnly,
      int exclude,
      SplitMix64 rng) {
    int[] topIds = new int[k];
    double[] topP = new double[k];
    int m = selectTop(s, k, allowEos, wordsOnly, exclude, topIds, topP);
    if (m == 0) {
      return -1;
    }
    return draw(topIds, topP, m, temperature, rng);
  }

  private int selectTop(
      KneserNeyModel.Scratch s,
      int k,
      boolean allowEos,
      boolean wordsOnly,
      int exclude,
      int[] topIds,
      double[] topP) {
    int m = 0;
    for (int i = 0; i < s.size; i++) {
      int id = s.ids[i];
      if (id == exclude
          || (!allowEos && id == KneserNeyModel.EOS)
          || (wordsOnly && !model.isWord(id))) {
        continue;
      }
      double p = s.prob[id];
      if (m == k && p <= topP[m - 1]) {
        continue;
      }
      // insertion into the descending top list; ties keep candidate order, which is deterministic
      int j = m < k ? m++ : m - 1;
      while (j > 0 && topP[j - 1] < p) {
        topP[j] = topP[j - 1];
        topIds[j] = topIds[j - 1];
        j--;
      }
      topP[j] = p;
      topIds[j] = id;
    }
    return m;
  }

  private static int draw(int[] ids, double[] p, int m, double temperature, SplitMix64 rng) {
    double[] w = new double[m];
    double total = 0;
    double inv = 1.0 / temperature;
    for (int i = 0; i < m; i++) {
      w[i] = p[0] > 0 ? Math.pow(p[i] / p[0], inv) : 1.0;
      total += w[i];
    }
    double r = rng.nextDouble() * total;
    for (int i = 0; i < m; i++) {
      r -= w[i];
      if (r < 0) {
        return ids[i];
      }
    }
    return ids[m - 1];
  }

  // ---------------------------------------------------------------- VARIATION_API

  /**
   * One variation per text; item i is {@code variation(texts.get(i), degree, itemSeed(seed, i))},
   * so it depends on its index, not on the other texts, and repeated texts get different
   * variations (PE selects with replacement). Callers needing partition independence pass their
   * own per-item seeds to {@link #variation(String, double, long)}.
   */
  @Override
  public List<String> variation(List<String> texts, double degree, long seed) {
    return texts(variationWithProvenance(null, texts, degree, seed));
  }

  /**
   * One variation per text of label {@code label} (Aug-PE's class-conditional variation), item i
   * with seed {@code itemSeed(seed, i)}, so that each stays in its class: words that are the
   * label's words or keywords are never masked (unless the text has no other words; the number of
   * blanks is still round(degree × all words), capped by the maskable ones), and the blanks are
   * refilled with a cache that gives {@value #LABEL_CACHE_SHARE} of its mass to the label's topic
   * words and the rest to the text's own tokens. Label, keywords and topic are public (config and
   * public corpus). A null label is the unconditioned {@link #variation(List, double, long)}.
   */
  @Override
  public List<String> variation(String label, List<String> texts, double degree, long seed) {
    return texts(variationWithProvenance(label, texts, degree, seed));
  }

  /**
   * {@link #variation(String, List, double, long)} with provenance. In public mode, item i first
   * tosses a coin (its own stream of {@code itemSeed(seed, i)}): with probability {@code share}
   * it is a public record among the ceil(degree × {@code neighbours}) nearest to the text (of the
   * label's records in a labelled corpus; never the text itself), {@code PUBLIC}; otherwise, or if
   * no public record shares a word with the text, it is the rewrite, {@code GENERATED}.
   */
  @Override
  public List<Text> variationWithProvenance(String label, List<String> texts, double degree, long seed) {
    checkDegree(degree);
    LabelCondition condition = label == null ? null : condition(label);
    List<Text> out = new ArrayList<>(texts.size());
    for (int i = 0; i < texts.size(); i++) {
      long itemSeed = itemSeed(seed, i);
      String text = texts.get(i);
      String neighbour = publicMode == null || degree == 0 || text == null ? null : publicNeighbour(label, text, degree, itemSeed);
      out.add(neighbour != null ? new Text(neighbour, Provenance.PUBLIC)
          : new Text(vary(text, condition, degree, itemSeed), Provenance.GENERATED));
    }
    return out;
  }

  private String publicNeighbour(String label, String text, double degree, long itemSeed) {
    SplitMix64 rng = new SplitMix64(SplitMix64.derive(itemSeed, PUBLIC_STREAM));
    if (!(rng.nextDouble() < publicMode.share())) {
      return null;
    }
    PublicIndex index = corpus.index();
    int m = Math.max(1, (int) Math.ceil(degree * publicMode.neighbours()));
    int[] near = index.nearest(text, m, label == null ? null : index.recordsOf(label));
    return near.length == 0 ? null : index.text(near[rng.nextInt(near.length)]);
  }

  /**
   * A variation of one text. degree 0 returns {@code text} itself; a text with no words (empty,
   * blank, punctuation only) is returned unchanged since there is nothing to fill in.
   */
  public String variation(String text, double degree, long seed) {
    checkDegree(degree);
    return vary(text, null, degree, seed);
  }

  /**
   * What label-conditioned variation knows about a label: its words and configured keywords
   * ({@code keywords}, never masked) and its topic ({@code topic}, the fill-in cache share), the
   * {@value #TOPIC_WORDS} words that best mark the public-corpus records containing a keyword.
   */
  private record LabelCondition(KneserNeyModel.Cache keywords, KneserNeyModel.Cache topic) {}

  private LabelCondition condition(String label) {
    return conditions.computeIfAbsent(label, l -> {
      KneserNeyModel.Cache keywords = labelCache(l);
      return new LabelCondition(keywords, model.topic(Arrays.copyOf(keywords.ids, keywords.size), TOPIC_WORDS));
    });
  }

  /** The topic words of {@code label}, most strongly associated first (for tests and docs). */
  List<String> topicWords(String label) {
    KneserNeyModel.Cache t = condition(label).topic();
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < t.size; i++) {
      order.add(i);
    }
    order.sort((a, b) -> Double.compare(t.weights[b], t.weights[a]));
    List<String> out = new ArrayList<>();
    order.forEach(i -> out.add(model.word(t.ids[i])));
    return out;
  }

  private String vary(String text, LabelCondition condition, double degree, long seed) {
    if (degree == 0 || text == null) {
      return text;
    }
    List<String> surface = WordTokenizer.tokenizeKeepingCase(text);
    int n = surface.size();
    int[] ids = new int[n];
    int[] wordPos = new int[n];
    int words = 0;
    for (int i = 0; i < n; i++) {
      String tok = surface.get(i);
      ids[i] = model.id(tok.toLowerCase(java.util.Locale.ROOT));
      if (WordTokenizer.isWord(tok)) {
        wordPos[words++] = i;
      }
    }
    if (words == 0) {
      return text;
    }
    int total = words;
    if (condition != null) {
      // the label's own words are what keeps the text in its class: only the others are maskable
      int kept = 0;
      for (int i = 0; i < words; i++) {
        if (!condition.keywords().contains(ids[wordPos[i]])) {
          wordPos[kept++] = wordPos[i];
        }
      }
      if (kept > 0) {
        words = kept;
      } else {
        for (int i = 0, w = 0; i < n; i++) {
          if (WordTokenizer.isWord(surface.get(i))) {
            wordPos[w++] = i;
          }
        }
      }
    }
    SplitMix64 rng = new SplitMix64(seed);
    int masks = Math.max(1, Math.min(words, (int) Math.round(degree * total)));
    // partial Fisher–Yates: the first `masks` entries become a uniform random subset
    for (int i = 0; i < masks; i++) {
      int j = i + rng.nextInt(words - i);
      int t = wordPos[i];
      wordPos[i] = wordPos[j];
      wordPos[j] = t;
    }
    Arrays.sort(wordPos, 0, masks);
    boolean[] masked = new boolean[n];
    for (int i = 0; i < masks; i++) {
      masked[wordPos[i]] = true;
    }
    KneserNeyModel.Cache cache = KneserNeyModel.Cache.of(ids, n, model, false);
    if (condition != null) {
      cache = KneserNeyModel.Cache.blend(cache, condition.topic(), LABEL_CACHE_SHARE);
    }
    int c = options.variationCandidates;
    int[] candIds = new int[c];
    double[] candP = new double[c];
    boolean[] replaced = new boolean[n];
    for (int k = 0; k < masks; k++) {
      int pos = wordPos[k];
      int u = pos >= 2 ? ids[pos - 2] : KneserNeyModel.BOS;
      int v = pos >= 1 ? ids[pos - 1] : KneserNeyModel.BOS;
      KneserNeyModel.Scratch s = model.collect(u, v, cache, options.cacheWeight, c);
      int original = ids[pos] == KneserNeyModel.UNK ? -1 : ids[pos];
      int m = selectTop(s, c, false, true, original, candIds, candP);
      if (m == 0) {
        continue;
      }
      int r1 = pos + 1 < n ? (masked[pos + 1] ? -1 : ids[pos + 1]) : KneserNeyModel.EOS;
      int r2 =
          r1 >= 0 && r1 != KneserNeyModel.EOS
              ? (pos + 2 < n ? (masked[pos + 2] ? -1 : ids[pos + 2]) : KneserNeyModel.EOS)
              : -1;
      for (int i = 0; i < m; i++) {
        int w = candIds[i];
        double score = candP[i];
        if (r1 >= 0 && r1 != KneserNeyModel.UNK) {
          score *= model.p3(v, w, r1);
          if (r2 >= 0 && r2 != KneserNeyModel.UNK) {
            score *= model.p3(w, r1, r2);
          }
        }
        candP[i] = score;
      }
      sortDescending(candIds, candP, m);
      int w = draw(candIds, candP, m, options.variationTemperature, rng);
      ids[pos] = w;
      surface.set(pos, model.display(w));
      replaced[pos] = true;
    }
    return WordTokenizer.detokenize(surface, replaced);
  }

  private static void sortDescending(int[] ids, double[] p, int m) {
    for (int i = 1; i < m; i++) {
      int id = ids[i];
      double v = p[i];
      int j = i;
      while (j > 0 && p[j - 1] < v) {
        p[j] = p[j - 1];
        ids[j] = ids[j - 1];
        j--;
      }
      p[j] = v;
      ids[j] = id;
    }
  }

  private static void checkDegree(double degree) {
    if (!(degree >= 0 && degree <= 1)) {
      throw new IllegalArgumentException("degree must be in [0, 1]: " + degree);
    }
  }

  // ---------------------------------------------------------------- next-token distribution

  /**
   * The {@code k} most likely next tokens after {@code prompt} (lower-cased words and
   * punctuation, or {@value #EOS_TOKEN} for end of text), most likely first, with natural-log
   * probabilities of the full distribution λ·P_KN(· | last two tokens) + (1 − λ)·P_cache(· |
   * prompt), which is normalised over the whole vocabulary plus {@value #EOS_TOKEN}.
   */
  @Override
  public List<TokenLogProb> topTokens(String prompt, int k) {
    if (k <= 0) {
      return List.of();
    }
    PromptContext c = context(prompt);
    KneserNeyModel.Scratch s = model.collect(c.u(), c.v(), c.cache(), options.cacheWeight, k);
    int[] topIds = new int[k];
    double[] topP = new double[k];
    int m = selectTop(s, k, true, false, -1, topIds, topP);
    List<TokenLogProb> out = new ArrayList<>(m);
    for (int i = 0; i < m; i++) {
      out.add(new TokenLogProb(model.word(topIds[i]), Math.log(topP[i])));
    }
    return out;
  }

  /**
   * Natural-log probabilities of the given next tokens after {@code prompt} under the same full
   * distribution as {@link #topTokens}, exactly, for any token ({@code -Infinity} for a word the
   * model does not know). Used to score labels and to restrict a distribution to a candidate set exactly.
   */
  @Override
  public double[] logProbs(String prompt, List<String> tokens) {
    double[] full = fullDistribution(prompt);
    double[] out = new double[tokens.size()];
    for (int i = 0; i < out.length; i++) {
      List<String> t = WordTokenizer.tokenize(tokens.get(i));
      String tok = EOS_TOKEN.equals(tokens.get(i)) || t.size() != 1 ? tokens.get(i) : t.get(0);
      out[i] = Math.log(full[model.id(tok)]);
    }
    return out;
  }

  /** {@value #EOS_TOKEN}. */
  @Override
  public String endOfText() {
    return EOS_TOKEN;
  }

  /** The full next-token distribution after {@code prompt}, indexed by model id (tests only). */
  double[] fullDistribution(String prompt) {
    PromptContext c = context(prompt);
    return model.distribution(c.u(), c.v(), c.cache(), options.cacheWeight);
  }

  /** The last two token ids of a prompt (BOS-padded) and the prompt as cache. */
  private record PromptContext(int u, int v, KneserNeyModel.Cache cache) {}

  private PromptContext context(String prompt) {
    List<String> toks = WordTokenizer.tokenize(prompt);
    int n = toks.size();
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      ids[i] = model.id(toks.get(i));
    }
    return new PromptContext(n >= 2 ? ids[n - 2] : KneserNeyModel.BOS, n >= 1 ? ids[n - 1] : KneserNeyModel.BOS,
        KneserNeyModel.Cache.of(ids, n, model, false));
  }
}
