package org.dpsynth.dpft;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.dpsynth.text.WordTokenizer;

/**
 * Word-level vocabulary of the fine-tuned language model, built from the PUBLIC corpus only: the
 * {@code size} most frequent lower-cased tokens of {@link WordTokenizer} (ties broken
 * alphabetically, so it is deterministic) after three specials: {@code <unk>}, {@code <bos>},
 * {@code <eos>}. Control codes (labels) are not words; the model keeps them in a table of its own.
 */
public final class Vocabulary implements Serializable {
  private static final long serialVersionUID = 1L;

  public static final int UNK = 0;
  public static final int BOS = 1;
  public static final int EOS = 2;
  static final List<String> SPECIALS = List.of("<unk>", "<bos>", "<eos>");

  private final String[] tokens;
  private transient Map<String, Integer> index;

  public Vocabulary(List<String> tokens) {
    if (tokens.size() < SPECIALS.size() || !tokens.subList(0, SPECIALS.size()).equals(SPECIALS)) {
      throw new IllegalArgumentException("vocabulary must start with " + SPECIALS);
    }
    this.tokens = tokens.toArray(new String[0]);
  }

  /** The {@code words} most frequent tokens of the public texts, after the specials. */
  public static Vocabulary build(List<String> publicTexts, int words) {
    if (words < 1) {
      throw new IllegalArgumentException("vocabulary size must be >= 1, got " + words);
    }
    Map<String, Integer> counts = new HashMap<>();
    for (String t : publicTexts) {
      for (String tok : WordTokenizer.tokenize(t)) {
        counts.merge(tok, 1, Integer::sum);
      }
    }
    List<Map.Entry<String, Integer>> sorted = new ArrayList<>(counts.entrySet());
    sorted.sort((a, b) -> a.getValue().equals(b.getValue())
        ? a.getKey().compareTo(b.getKey()) : Integer.compare(b.getValue(), a.getValue()));
    List<String> list = new ArrayList<>(SPECIALS);
    for (int i = 0; i < Math.min(words, sorted.size()); i++) {
      list.add(sorted.get(i).getKey());
    }
    return new Vocabulary(list);
  }

  public int size() {
    return tokens.length;
  }

  public String token(int id) {
    return tokens[id];
  }

  public List<String> tokens() {
    return List.of(tokens);
  }

  /**
   * Token ids of {@code text} (without {@code <bos>}), at most {@code maxTokens} of them; {@code
   * <eos>} is appended when the text was not cut. Unknown words map to {@code <unk>}.
   */
  public int[] encode(String text, int maxTokens) {
    Map<String, Integer> idx = index();
    List<String> toks = WordTokenizer.tokenize(text);
    boolean cut = toks.size() > maxTokens;
    int n = Math.min(toks.size(), maxTokens);
    int[] out = new int[cut ? n : n + 1];
    for (int i = 0; i < n; i++) {
      out[i] = idx.getOrDefault(toks.get(i), UNK);
    }
    if (!cut) {
      out[n] = EOS;
    }
    return out;
  }

  /** Readable text of generated ids (specials dropped). */
  public String decode(int[] ids) {
    List<String> words = new ArrayList<>(ids.length);
    for (int id : ids) {
      if (id > EOS) {
        words.add(tokens[id]);
      }
    }
    return WordTokenizer.detokenize(words);
  }

  private Map<String, Integer> index() {
    if (index == null) {
      Map<String, Integer> m = new HashMap<>(tokens.length * 2);
      for (int i = 0; i < tokens.length; i++) {
        m.put(tokens[i], i);
      }
      index = m;
    }
    return index;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Vocabulary v && Arrays.equals(tokens, v.tokens);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(tokens);
  }
}
