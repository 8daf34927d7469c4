package org.dpsynth.foundation.ngram;

import org.dpsynth.text.WordTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An interpolated, modified Kneser–Ney word trigram model (Chen &amp; Goodman 1998, eq. 17 with
 * three discounts D1, D2, D3+ per order), with lower orders on continuation counts and a uniform
 * floor over the vocabulary. Immutable after {@link #build} and safe to share between threads.
 *
 * <p>Each training record is one sequence {@code <s> <s> w1 … wn <eos>}: {@code <eos>} is the
 * end-of-text token (the "\n" of a completion API). Tables are sorted primitive arrays: trigrams
 * grouped by their (u, v) context, bigram continuation counts grouped by v, so the followers of a
 * history are a contiguous, id-sorted range.
 */
final class KneserNeyModel {
  static final int BOS = 0;
  static final int EOS = 1;
  static final int UNK = 2;
  static final String EOS_TOKEN = "<eos>";

  private static final int BITS = 21;
  private static final int MAX_VOCAB = 1 << BITS;
  private static final long LOW2 = (1L << (2 * BITS)) - 1;

  private final String[] words;
  private final String[] display;
  private final Map<String, Integer> ids;
  private final boolean[] wordToken;
  private final boolean[] sentenceEnd;
  private final int records;
  private final long tokens;
  /** The distinct word ids of each training record, for record-level co-occurrence (topics). */
  private final int[][] recordWords;
  /** In how many training records each id occurs. */
  private final int[] recordFreq;

  // Trigram level (raw counts).
  private final LongIntHashMap triContext;
  private final int[] triStart;
  private final int[] triWord;
  private final int[] triCount;
  private final double[] triInvTotal;
  private final double[] triGamma;
  private final double[] d3;

  // Bigram level (continuation counts N1+(. v w)), indexed densely by v.
  private final int[] biStart;
  private final int[] biWord;
  private final int[] biCount;
  private final double[] biInvTotal;
  private final double[] biGamma;
  private final double[] d2;

  // Unigram level (continuation counts N1+(. w)) with a uniform floor; ids by falling probability.
  private final double[] uni;
  private final int[] byUnigram;
  private final double[] d1;

  private final ThreadLocal<Scratch> scratch;

  private KneserNeyModel(Builder b) {
    words = b.words.toArray(new String[0]);
    ids = b.ids;
    records = b.records;
    tokens = b.tokens;
    int v = words.length;
    recordWords = b.recordWords.toArray(new int[0][]);
    recordFreq = new int[v];
    for (int[] r : recordWords) {
      for (int w : r) {
        recordFreq[w]++;
      }
    }
    display = words.clone();
    for (int i = 3; i < Math.min(v, b.midSentence.length); i++) {
      // names and "I" keep the capital they carry mid-sentence in most of the corpus
      if (b.midSentence[i] >= 2 && b.capitalised[i] * 4 >= b.midSentence[i] * 3) {
        display[i] = Character.toUpperCase(words[i].charAt(0)) + words[i].substring(1);
      }
    }
    wordToken = new boolean[v];
    sentenceEnd = new boolean[v];
    for (int i = 3; i < v; i++) {
      wordToken[i] = WordTokenizer.isWord(words[i]);
      sentenceEnd[i] = WordTokenizer.isSentenceEnd(words[i]);
    }

    // --- trigrams, sorted by (u, v, w) so each context is a contiguous range.
    long[] keys = b.trigrams.sortedKeys();
    int n = keys.length;
    triWord = new int[n];
    triCount = new int[n];
    long[] coc3 = new long[5];
    int contexts = 0;
    for (int i = 0; i < n; i++) {
      triWord[i] = (int) (keys[i] & (MAX_VOCAB - 1));
      triCount[i] = b.trigrams.get(keys[i], 0);
      coc3[Math.min(triCount[i], 4)]++;
      if (i == 0 || (keys[i] >>> BITS) != (keys[i - 1] >>> BITS)) {
        contexts++;
      }
    }
    d3 = discounts(coc3);
    triContext = new LongIntHashMap(contexts);
    triStart = new int[contexts + 1];
    triInvTotal = new double[contexts];
    triGamma = new double[contexts];
    int c = -1;
    for (int i = 0; i < n; i++) {
      if (i == 0 || (keys[i] >>> BITS) != (keys[i - 1] >>> BITS)) {
        c++;
        triContext.put(keys[i] >>> BITS, c);
        triStart[c] = i;
      }
    }
    triStart[contexts] = n;
    for (c = 0; c < contexts; c++) {
      long total = 0;
      double mass = 0;
      for (int i = triStart[c]; i < triStart[c + 1]; i++) {
        total += triCount[i];
        mass += d3[Math.min(triCount[i], 3)];
      }
      triInvTotal[c] = 1.0 / total;
      triGamma[c] = mass / total;
    }

    // --- bigram continuation counts: how many distinct u precede (v, w).
    LongIntHashMap bigrams = new LongIntHashMap(n / 2);
    for (long k : keys) {
      bigrams.addTo(k & LOW2, 1);
    }
    long[] bkeys = bigrams.sortedKeys();
    biWord = new int[bkeys.length];
    biCount = new int[bkeys.length];
    biStart = new int[v + 1];
    long[] coc2 = new long[5];
    int[] uniCont = new int[v];
    for (int i = 0; i < bkeys.length; i++) {
      int ctx = (int) (bkeys[i] >>> BITS);
      biWord[i] = (int) (bkeys[i] & (MAX_VOCAB - 1));
      biCount[i] = bigrams.get(bkeys[i], 0);
      coc2[Math.min(biCount[i], 4)]++;
      biStart[ctx + 1]++;
      uniCont[biWord[i]]++;
    }
    for (int i = 0; i < v; i++) {
      biStart[i + 1] += biStart[i];
    }
    d2 = discounts(coc2);
    biInvTotal = new double[v];
    biGamma = new double[v];
    for (int ctx = 0; ctx < v; ctx++) {
      long total = 0;
      double mass = 0;
      for (int i = biStart[ctx]; i < biStart[ctx + 1]; i++) {
        total += biCount[i];
        mass += d2[Math.min(biCount[i], 3)];
      }
      if (total > 0) {
        biInvTotal[ctx] = 1.0 / total;
        biGamma[ctx] = mass / total;
      }
    }

    // --- unigram continuation counts: how many distinct v precede w; uniform floor.
    long[] coc1 = new long[5];
    long uniTotal = 0;
    for (int w = 0; w < v; w++) {
      if (uniCont[w] > 0) {
        coc1[Math.min(uniCont[w], 4)]++;
        uniTotal += uniCont[w];
      }
    }
    d1 = discounts(coc1);
    double floorMass = 0;
    for (int w = 0; w < v; w++) {
      floorMass += d1[Math.min(uniCont[w], 3)];
    }
    int predictable = v - 2; // all but <s> and <unk>
    double floor = floorMass / uniTotal / predictable;
    uni = new double[v];
    List<Integer> order = new ArrayList<>(predictable);
    for (int w = 0; w < v; w++) {
      if (w == BOS || w == UNK) {
        continue;
      }
      uni[w] = Math.max(uniCont[w] - d1[Math.min(uniCont[w], 3)], 0) / uniTotal + floor;
      order.add(w);
    }
    order.sort((x, y) -> Double.compare(uni[y], uni[x]));
    byUnigram = order.stream().mapToInt(Integer::intValue).toArray();
    scratch = ThreadLocal.withInitial(() -> new Scratch(words.length));
  }

  /** Chen &amp; Goodman's estimates D_k = k − (k+1)·Y·n_{k+1}/n_k, Y = n1/(n1+2·n2). */
  private static double[] discounts(long[] coc) {
    double[] fallback = {0, 0.5, 1.0, 1.5};
    double[] d = new double[4];
    if (coc[1] == 0 || coc[2] == 0) {
      return fallback;
    }
    double y = coc[1] / (double) (coc[1] + 2 * coc[2]);
    for (int k = 1; k <= 3; k++) {
      double est = coc[k] == 0 ? Double.NaN : k - (k + 1) * y * coc[k + 1] / coc[k];
      d[k] = (est > 0 && est < k) ? est : fallback[k];
    }
    return d;
  }

  /** Builds the model from training texts; blank texts are skipped. */
  static KneserNeyModel build(Iterable<String> texts) {
    Builder b = new Builder();
    for (String text : texts) {
      List<String> surface = WordTokenizer.tokenizeKeepingCase(text);
      int wordCount = 0;
      for (String t : surface) {
        wordCount += WordTokenizer.isWord(t) ? 1 : 0;
      }
      if (wordCount == 0 || wordCount * 2 < surface.size()) {
        continue; // blank, or mostly symbols (ASCII art): not language
      }
      b.records++;
      int u = BOS;
      int v = BOS;
      int[] recordIds = new int[surface.size()];
      int m = 0;
      for (int i = 0; i <= surface.size(); i++) {
        int w = i == surface.size() ? EOS : b.id(surface.get(i), i == 0 || !b.isWord(v));
        b.trigrams.addTo(((long) u << (2 * BITS)) | ((long) v << BITS) | w, 1);
        b.tokens++;
        if (w != EOS && b.isWord(w)) {
          recordIds[m++] = w;
        }
        u = v;
        v = w;
      }
      b.recordWords.add(Arrays.stream(recordIds, 0, m).distinct().sorted().toArray());
    }
    if (b.records == 0) {
      throw new IllegalArgumentException("public corpus has no non-blank text records");
    }
    return new KneserNeyModel(b);
  }

  private static final class Builder {
    final Map<String, Integer> ids = new HashMap<>();
    final List<String> words = new ArrayList<>(List.of("<s>", EOS_TOKEN, "<unk>"));
    final LongIntHashMap trigrams = new LongIntHashMap(1 << 16);
    final List<int[]> recordWords = new ArrayList<>();
    int records;

    Builder() {
      ids.put(EOS_TOKEN, EOS); // so topTokens' "<eos>" maps back; the tokeniser never yields it
    }
    long tokens;

    int[] capitalised = new int[1024];
    int[] midSentence = new int[1024];

    boolean isWord(int id) {
      return id > UNK && WordTokenizer.isWord(words.get(id));
    }

    /** Id of a surface token; counts how often it is capitalised where case is not positional. */
    int id(String surface, boolean positionalCase) {
      int id = id(surface.toLowerCase(java.util.Locale.ROOT));
      if (!positionalCase && WordTokenizer.isWord(surface)) {
        if (id >= midSentence.length) {
          midSentence = Arrays.copyOf(midSentence, id * 2);
          capitalised = Arrays.copyOf(capitalised, id * 2);
        }
        midSentence[id]++;
        if (Character.isUpperCase(surface.charAt(0))) {
          capitalised[id]++;
        }
      }
      return id;
    }

    int id(String word) {
      Integer id = ids.get(word);
      if (id == null) {
        if (words.size() >= MAX_VOCAB) {
          throw new IllegalArgumentException("public corpus vocabulary exceeds " + MAX_VOCAB);
        }
        id = words.size();
        ids.put(word, id);
        words.add(word);
      }
      return id;
    }
  }

  // ---------------------------------------------------------------- vocabulary

  int vocabularySize() {
    return words.length;
  }

  int records() {
    return records;
  }

  long tokens() {
    return tokens;
  }

  int trigramTypes() {
    return triWord.length;
  }

  /** Id of a (lower-cased) token or of {@value #EOS_TOKEN}, else {@link #UNK}. */
  int id(String token) {
    Integer id = ids.get(token);
    return id == null ? UNK : id;
  }

  String word(int id) {
    return words[id];
  }

  /** The token as it is usually written mid-sentence in the corpus ("Shakespeare", "I"). */
  String display(int id) {
    return display[id];
  }

  boolean isWord(int id) {
    return wordToken[id];
  }

  boolean isSentenceEnd(int id) {
    return sentenceEnd[id];
  }

  /** Whether the model can ever emit this id (not {@code <s>} or {@code <unk>}). */
  boolean predictable(int id) {
    return id != BOS && id != UNK;
  }

  // ---------------------------------------------------------------- topics

  /**
   * A topic cache for the given seed words from record-level co-occurrence in the training corpus:
   * over the records that contain a seed word, each word w scores c_w · ln(R / r_w) (c_w: such
   * records containing w; r_w: all records containing w; R: all records), tf-idf style so that
   * function words score low; the {@code size} best words with c_w ≥ 2 form the cache, weighted by
   * score. Seed words the corpus does not know are ignored; no known seed gives an empty cache.
   */
  Cache topic(int[] seedIds, int size) {
    int v = words.length;
    boolean[] seed = new boolean[v];
    boolean any = false;
    for (int id : seedIds) {
      if (id > UNK && id < v && wordToken[id]) {
        seed[id] = true;
        any = true;
      }
    }
    if (!any || size <= 0) {
      return Cache.EMPTY;
    }
    int[] count = new int[v];
    for (int[] r : recordWords) {
      boolean hit = false;
      for (int w : r) {
        if (seed[w]) {
          hit = true;
          break;
        }
      }
      if (hit) {
        for (int w : r) {
          count[w]++;
        }
      }
    }
    double[] score = new double[v];
    List<Integer> cand = new ArrayList<>();
    for (int w = UNK + 1; w < v; w++) {
      if (count[w] >= 2 && recordFreq[w] < records) {
        score[w] = count[w] * Math.log(records / (double) recordFreq[w]);
        cand.add(w);
      }
    }
    cand.sort((x, y) -> x.equals(y) ? 0 : score[y] != score[x] ? Double.compare(score[y], score[x]) : Integer.compare(x, y));
    int m = Math.min(size, cand.size());
    int[] top = new int[m];
    for (int i = 0; i < m; i++) {
      top[i] = cand.get(i);
    }
    Arrays.sort(top);
    double[] weights = new double[m];
    for (int i = 0; i < m; i++) {
      weights[i] = score[top[i]];
    }
    return Cache.of(top, weights);
  }

  // ---------------------------------------------------------------- probabilities

  private double discount3(int count) {
    return d3[Math.min(count, 3)];
  }

  double p1(int w) {
    return uni[w];
  }

  double p2(int v, int w) {
    int from = biStart[v];
    int to = biStart[v + 1];
    if (from == to) {
      return uni[w];
    }
    double p = biGamma[v] * uni[w];
    int i = Arrays.binarySearch(biWord, from, to, w);
    if (i >= 0) {
      p += Math.max(biCount[i] - d2[Math.min(biCount[i], 3)], 0) * biInvTotal[v];
    }
    return p;
  }

  /** P_KN(w | u v); every argument may be {@link #UNK}, which simply backs off. */
  double p3(int u, int v, int w) {
    int ctx = context(u, v);
    if (ctx < 0) {
      return p2(v, w);
    }
    double p = triGamma[ctx] * p2(v, w);
    int i = Arrays.binarySearch(triWord, triStart[ctx], triStart[ctx + 1], w);
    if (i >= 0) {
      p += Math.max(triCount[i] - discount3(triCount[i]), 0) * triInvTotal[ctx];
    }
    return p;
  }

  private int context(int u, int v) {
    return triContext.get(((long) u << BITS) | v, -1);
  }

  /**
   * The mixture λ·P_KN(·|u v) + (1−λ)·P_cache, λ = 1 − cacheWeight (1 if the cache is empty), over the candidates that can carry mass above the
   * backed-off floor: trigram followers, bigram followers, cache words, and the {@code extra} most
   * probable unigrams. Every other word has probability at most that of each of those unigrams,
   * so the top {@code extra} of the returned set are the exact top {@code extra} of the vocabulary.
   * The result lives in a per-thread scratch buffer, valid until the thread's next call.
   */
  Scratch collect(int u, int v, Cache cache, double cacheWeight, int extra) {
    Scratch s = scratch.get();
    s.clear();
    double lam = cache == null || cache.isEmpty() ? 1.0 : 1.0 - cacheWeight * cache.share();
    int ctx = context(u, v);
    double gamma3 = 1.0;
    if (ctx >= 0) {
      gamma3 = triGamma[ctx];
      double inv = lam * triInvTotal[ctx];
      for (int i = triStart[ctx]; i < triStart[ctx + 1]; i++) {
        s.add(triWord[i], Math.max(triCount[i] - discount3(triCount[i]), 0) * inv);
      }
    }
    double gamma2 = 1.0;
    if (biStart[v] < biStart[v + 1]) {
      gamma2 = biGamma[v];
      double inv = lam * gamma3 * biInvTotal[v];
      for (int i = biStart[v]; i < biStart[v + 1]; i++) {
        s.add(biWord[i], Math.max(biCount[i] - d2[Math.min(biCount[i], 3)], 0) * inv);
      }
    }
    if (lam < 1.0) {
      for (int i = 0; i < cache.size; i++) {
        s.add(cache.ids[i], (1 - lam) * cache.weights[i] / cache.total);
      }
    }
    for (int i = 0; i < Math.min(extra, byUnigram.length); i++) {
      s.add(byUnigram[i], 0);
    }
    double floor = lam * gamma3 * gamma2;
    for (int i = 0; i < s.size; i++) {
      s.prob[s.ids[i]] += floor * uni[s.ids[i]];
    }
    return s;
  }

  /** The full next-token distribution (slow; for tests and diagnostics). */
  double[] distribution(int u, int v, Cache cache, double cacheWeight) {
    double lam = cache == null || cache.isEmpty() ? 1.0 : 1.0 - cacheWeight * cache.share();
    double[] p = new double[words.length];
    for (int w = 0; w < p.length; w++) {
      if (predictable(w)) {
        p[w] = lam * p3(u, v, w);
      }
    }
    if (lam < 1.0) {
      for (int i = 0; i < cache.size; i++) {
        p[cache.ids[i]] += (1 - lam) * cache.weights[i] / cache.total;
      }
    }
    return p;
  }

  /** Candidate ids and their probabilities; {@code prob} is indexed by id. */
  static final class Scratch {
    final double[] prob;
    final int[] stamp;
    int[] ids = new int[1024];
    int size;
    private int generation = 1;

    Scratch(int vocab) {
      prob = new double[vocab];
      stamp = new int[vocab];
    }

    void clear() {
      for (int i = 0; i < size; i++) {
        prob[ids[i]] = 0;
      }
      size = 0;
      if (++generation == Integer.MAX_VALUE) {
        Arrays.fill(stamp, 0);
        generation = 1;
      }
    }

    void add(int id, double p) {
      if (stamp[id] != generation) {
        stamp[id] = generation;
        if (size == ids.length) {
          ids = Arrays.copyOf(ids, size * 2);
        }
        ids[size++] = id;
      }
      prob[id] += p;
    }
  }

  /**
   * A unigram cache (Kuhn &amp; De Mori 1990): weights of the in-vocabulary tokens of a
   * conditioning text. Mutable so generation can decay words it has already used.
   */
  static final class Cache {
    final int[] ids;
    final double[] weights;
    final int size;
    double total;
    private final double initialTotal;

    private Cache(int[] ids, double[] weights, int size, double initialTotal) {
      this.ids = ids;
      this.weights = weights;
      this.size = size;
      for (int i = 0; i < size; i++) {
        total += weights[i];
      }
      this.initialTotal = initialTotal < 0 ? total : initialTotal;
    }

    /** Remaining weight relative to the start: decayed words hand their mass back to the n-gram. */
    double share() {
      return initialTotal <= 0 ? 0 : total / initialTotal;
    }

    static final Cache EMPTY = new Cache(new int[0], new double[0], 0, -1);

    /** A cache with the given weights; {@code sortedIds} ascending and distinct. */
    static Cache of(int[] sortedIds, double[] weights) {
      return new Cache(sortedIds.clone(), weights.clone(), sortedIds.length, -1);
    }

    /** Counts of the predictable ids among {@code tokenIds} ({@code wordsOnly}: skip punctuation). */
    static Cache of(int[] tokenIds, int count, KneserNeyModel model, boolean wordsOnly) {
      int[] sorted = new int[count];
      int m = 0;
      for (int i = 0; i < count; i++) {
        int id = tokenIds[i];
        if (model.predictable(id) && id != EOS && (!wordsOnly || model.isWord(id))) {
          sorted[m++] = id;
        }
      }
      Arrays.sort(sorted, 0, m);
      int[] ids = new int[m];
      double[] weights = new double[m];
      int k = -1;
      for (int i = 0; i < m; i++) {
        if (i == 0 || sorted[i] != sorted[i - 1]) {
          ids[++k] = sorted[i];
        }
        weights[k]++;
      }
      return new Cache(ids, weights, k + 1, -1);
    }

    boolean isEmpty() {
      return size == 0 || total <= 0;
    }

    /**
     * The mixture (1 − {@code bShare})·P_a + {@code bShare}·P_b of two caches' distributions; an
     * empty side leaves the other unchanged.
     */
    static Cache blend(Cache a, Cache b, double bShare) {
      if (b.isEmpty()) {
        return a;
      }
      if (a.isEmpty()) {
        return b;
      }
      int[] ids = new int[a.size + b.size];
      double[] weights = new double[a.size + b.size];
      double wa = (1 - bShare) / a.total;
      double wb = bShare / b.total;
      int i = 0;
      int j = 0;
      int m = 0;
      while (i < a.size || j < b.size) {
        if (j == b.size || i < a.size && a.ids[i] < b.ids[j]) {
          ids[m] = a.ids[i];
          weights[m++] = a.weights[i++] * wa;
        } else if (i == a.size || b.ids[j] < a.ids[i]) {
          ids[m] = b.ids[j];
          weights[m++] = b.weights[j++] * wb;
        } else {
          ids[m] = a.ids[i];
          weights[m++] = a.weights[i++] * wa + b.weights[j++] * wb;
        }
      }
      return new Cache(ids, weights, m, -1);
    }

    boolean contains(int id) {
      return Arrays.binarySearch(ids, 0, size, id) >= 0;
    }

    Cache copy() {
      return new Cache(ids.clone(), weights.clone(), size, initialTotal);
    }

    /** Multiplies the weight of {@code id} (if cached) by {@code factor}; the cache's share shrinks. */
    void decay(int id, double factor) {
      int i = Arrays.binarySearch(ids, 0, size, id);
      if (i >= 0) {
        total -= weights[i] * (1 - factor);
        weights[i] *= factor;
      }
    }

    double p(int id) {
      int i = Arrays.binarySearch(ids, 0, size, id);
      return i < 0 || total <= 0 ? 0 : weights[i] / total;
    }
  }
}
