package org.dpsynth.foundation.minilm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Uncased BERT tokenizer (Devlin et al. 2019): basic tokenization — drop control characters,
 * isolate CJK ideographs, strip accents (NFD, drop non-spacing marks), lower-case, split on
 * whitespace and punctuation — then greedy longest-match-first WordPiece with {@code ##}
 * continuations and {@code [UNK]} for words that cannot be covered. Input is wrapped as
 * {@code [CLS] … [SEP]}.
 *
 * <p>Character classes follow Hugging Face {@code tokenizers}' {@code BertNormalizer} and {@code
 * BertPreTokenizer} (the reference that produced the shipped {@code tokenizer.json}), so ids
 * agree with it. Immutable and thread-safe.
 */
public final class BertWordPieceTokenizer {

  private static final String CONTINUATION = "##";

  private final Map<String, Integer> vocab;
  private final String unkToken;
  private final int unkId;
  private final int clsId;
  private final int sepId;
  private final int maxCharsPerWord;

  /** Token ids of one text, and whether word pieces were dropped to fit the window. */
  public record Encoding(int[] ids, boolean truncated) {}

  private BertWordPieceTokenizer(Map<String, Integer> vocab, String unkToken, int maxCharsPerWord) {
    this.vocab = vocab;
    this.unkToken = unkToken;
    this.unkId = requireToken(vocab, unkToken);
    this.clsId = requireToken(vocab, "[CLS]");
    this.sepId = requireToken(vocab, "[SEP]");
    this.maxCharsPerWord = maxCharsPerWord;
  }

  private static int requireToken(Map<String, Integer> vocab, String token) {
    Integer id = vocab.get(token);
    if (id == null) {
      throw new IllegalArgumentException("tokenizer JSON: model.vocab has no entry for " + token);
    }
    return id;
  }

  /**
   * Reads {@code model.vocab}, {@code model.unk_token} and {@code
   * model.max_input_chars_per_word} from a Hugging Face {@code tokenizer.json} of type WordPiece.
   */
  public static BertWordPieceTokenizer fromHuggingFaceJson(InputStream json) {
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(json);
    } catch (IOException e) {
      throw new UncheckedIOException("tokenizer JSON: cannot parse", e);
    }
    JsonNode model = root.path("model");
    if (!"WordPiece".equals(model.path("type").asText())) {
      throw new IllegalArgumentException(
          "tokenizer JSON: model.type must be WordPiece, was '" + model.path("type").asText() + "'");
    }
    JsonNode vocabNode = model.path("vocab");
    if (!vocabNode.isObject() || vocabNode.isEmpty()) {
      throw new IllegalArgumentException("tokenizer JSON: model.vocab must be a non-empty object");
    }
    Map<String, Integer> vocab = new HashMap<>(vocabNode.size() * 2);
    for (Iterator<Map.Entry<String, JsonNode>> it = vocabNode.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      vocab.put(e.getKey(), e.getValue().intValue());
    }
    String unk = model.path("unk_token").asText("[UNK]");
    int maxChars = model.path("max_input_chars_per_word").asInt(100);
    return new BertWordPieceTokenizer(vocab, unk, maxChars);
  }

  public int vocabularySize() {
    return vocab.size();
  }

  /**
   * Encodes {@code text} as {@code [CLS] pieces… [SEP]} of at most {@code maxLength} ids (special
   * tokens included); extra word pieces at the end are dropped and reported.
   */
  public Encoding encode(String text, int maxLength) {
    if (maxLength < 2) {
      throw new IllegalArgumentException("maxLength must be >= 2 (room for [CLS] and [SEP])");
    }
    List<String> pieces = tokenize(text);
    int kept = Math.min(pieces.size(), maxLength - 2);
    int[] ids = new int[kept + 2];
    ids[0] = clsId;
    for (int i = 0; i < kept; i++) {
      ids[i + 1] = vocab.getOrDefault(pieces.get(i), unkId);
    }
    ids[kept + 1] = sepId;
    return new Encoding(ids, kept < pieces.size());
  }

  /** The word pieces of {@code text}, without special tokens and without truncation. */
  public List<String> tokenize(String text) {
    List<String> pieces = new ArrayList<>();
    for (String word : basicTokenize(normalize(text))) {
      wordPiece(word, pieces);
    }
    return pieces;
  }

  /** BertNormalizer: clean text, pad CJK, strip accents, lower-case (in that order). */
  static String normalize(String text) {
    StringBuilder cleaned = new StringBuilder(text.length() + 16);
    text.codePoints()
        .forEach(
            cp -> {
              if (cp == 0 || cp == 0xFFFD || isControl(cp)) {
                return;
              }
              if (isWhitespace(cp)) {
                cleaned.append(' ');
              } else if (isCjk(cp)) {
                cleaned.append(' ').appendCodePoint(cp).append(' ');
              } else {
                cleaned.appendCodePoint(cp);
              }
            });
    String decomposed = Normalizer.normalize(cleaned, Normalizer.Form.NFD);
    StringBuilder out = new StringBuilder(decomposed.length());
    decomposed
        .codePoints()
        .forEach(
            cp -> {
              if (Character.getType(cp) == Character.NON_SPACING_MARK) {
                return;
              }
              // Per code point and context-free, as the reference does (no final-sigma rule).
              out.append(new String(Character.toChars(cp)).toLowerCase(Locale.ROOT));
            });
    return out.toString();
  }

  /** BertPreTokenizer: split on whitespace (removed) and punctuation (kept as its own word). */
  static List<String> basicTokenize(String normalized) {
    List<String> words = new ArrayList<>();
    StringBuilder word = new StringBuilder();
    normalized
        .codePoints()
        .forEach(
            cp -> {
              if (isWhitespace(cp)) {
                flush(word, words);
              } else if (isPunctuation(cp)) {
                flush(word, words);
                words.add(new String(Character.toChars(cp)));
              } else {
                word.appendCodePoint(cp);
              }
            });
    flush(word, words);
    return words;
  }

  private static void flush(StringBuilder word, List<String> words) {
    if (word.length() > 0) {
      words.add(word.toString());
      word.setLength(0);
    }
  }

  /** Greedy longest-match-first WordPiece; a word with any uncoverable span becomes [UNK]. */
  private void wordPiece(String word, List<String> out) {
    int chars = word.codePointCount(0, word.length());
    if (chars > maxCharsPerWord) {
      out.add(unkToken);
      return;
    }
    int[] offsets = new int[chars + 1];
    for (int i = 0, off = 0; i < chars; i++) {
      offsets[i] = off;
      off = word.offsetByCodePoints(off, 1);
      offsets[i + 1] = off;
    }
    List<String> pieces = new ArrayList<>();
    int start = 0;
    while (start < chars) {
      String match = null;
      int end = chars;
      while (start < end) {
        String sub = word.substring(offsets[start], offsets[end]);
        if (start > 0) {
          sub = CONTINUATION + sub;
        }
        if (vocab.containsKey(sub)) {
          match = sub;
          break;
        }
        end--;
      }
      if (match == null) {
        out.add(unkToken);
        return;
      }
      pieces.add(match);
      start = end;
    }
    out.addAll(pieces);
  }

  /** Unicode White_Space (what Rust's char::is_whitespace tests). */
  static boolean isWhitespace(int cp) {
    return (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || Character.isSpaceChar(cp);
  }

  /** Categories Cc, Cf, Cn, Co — except tab, newline and carriage return, which are spaces. */
  static boolean isControl(int cp) {
    if (cp == '\t' || cp == '\n' || cp == '\r') {
      return false;
    }
    int type = Character.getType(cp);
    return type == Character.CONTROL
        || type == Character.FORMAT
        || type == Character.UNASSIGNED
        || type == Character.PRIVATE_USE
        || type == Character.SURROGATE;
  }

  /** ASCII punctuation (includes $+<=>^`|~) or any Unicode P* category. */
  static boolean isPunctuation(int cp) {
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96)
        || (cp >= 123 && cp <= 126)) {
      return true;
    }
    int type = Character.getType(cp);
    return type == Character.CONNECTOR_PUNCTUATION
        || type == Character.DASH_PUNCTUATION
        || type == Character.START_PUNCTUATION
        || type == Character.END_PUNCTUATION
        || type == Character.INITIAL_QUOTE_PUNCTUATION
        || type == Character.FINAL_QUOTE_PUNCTUATION
        || type == Character.OTHER_PUNCTUATION;
  }

  /** The CJK Unified Ideographs blocks that BERT isolates as single-character words. */
  static boolean isCjk(int cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF)
        || (cp >= 0x3400 && cp <= 0x4DBF)
        || (cp >= 0x20000 && cp <= 0x2A6DF)
        || (cp >= 0x2A700 && cp <= 0x2B73F)
        || (cp >= 0x2B740 && cp <= 0x2B81F)
        || (cp >= 0x2B820 && cp <= 0x2CEAF)
        || (cp >= 0xF900 && cp <= 0xFAFF)
        || (cp >= 0x2F800 && cp <= 0x2FA1F);
  }
}
