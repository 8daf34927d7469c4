package org.dpsynth.foundation.minilm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Our BERT tokenizer against Hugging Face's Rust tokenizer (through DJL, test scope only: it
 * extracts its bundled native library, it downloads nothing) on the same tokenizer.json.
 */
class MiniLmTokenizerTest {

  private static BertWordPieceTokenizer ours;
  private static HuggingFaceTokenizer reference;

  @BeforeAll
  static void load() throws Exception {
    try (InputStream in = resource()) {
      ours = BertWordPieceTokenizer.fromHuggingFaceJson(in);
    }
    try (InputStream in = resource()) {
      reference =
          HuggingFaceTokenizer.newInstance(
              in, Map.of("truncation", "false", "padding", "false", "addSpecialTokens", "false"));
    }
  }

  @AfterAll
  static void close() {
    reference.close();
  }

  private static InputStream resource() {
    return MiniLmTokenizerTest.class
        .getClassLoader()
        .getResourceAsStream(MiniLmEmbedder.TOKENIZER_RESOURCE);
  }

  static List<String> trickyTexts() {
    return List.of(
        "Hello, world!",
        "Café naïve résumé — déjà vu; coöperate, Ångström, São Paulo.",
        "The price is $1,234.56 (approx. 10%) on 2024-01-31 at 23:59:59, +/- 0.5e-3.",
        "I ❤️ emoji 😀🎉 and 👩‍👩‍👧 families! ✨✨",
        "Ünïcödé ÀÉÎÕÜ façade Straße ﬁnancial ﬀ ½ ² №",
        "日本語のテキストと中文文本、한국어 텍스트도。",
        "e-mail: someone@example.com; url=https://x.y/z?q=1&r=2#frag <tag attr=\"v\">",
        "don't won't can't it's \"quoted\" ‘single’ «guillemets» `code` ~tilde~ ^caret^ |pipe|",
        "tab\there\nnewline\r\nCRLF\u000Bvtab\fformfeed",
        "   leading and trailing   ",
        "ALL CAPS SHOUTING WITH NUMBERS 123456789012345678901234567890",
        "supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopic",
        "Ελληνικά ΣΟΦΙΑ σοφός ΟΔΟΣ — Привет, мир! İstanbul ıı",
        "αβγ ∑∫√ ≤≥ ± × ÷ → ∞ ≠ ≈ ° € £ ¥ ©®™",
        "a".repeat(150) + " short " + "b".repeat(100),
        "zero\u200Bwidth joiner\u200D non\u00A0breaking\u2003em-space\u3000ideographic",
        "control\u0000chars\u0007and\uFFFDreplacement\uE000private",
        "Mixed: क्षत्रिय العربية עברית ไทย",
        "",
        " \t\n ");
  }

  @Test
  void wordPiecesMatchHuggingFaceTokenizerOnTrickyTexts() {
    for (String text : trickyTexts()) {
      List<String> expected = Arrays.asList(reference.encode(text, false, false).getTokens());
      assertEquals(expected, ours.tokenize(text), () -> "pieces differ for: " + text);
    }
  }

  @Test
  void idsMatchHuggingFaceTokenizerWithSpecialTokens() {
    for (String text : trickyTexts()) {
      long[] expected = reference.encode(text, true, false).getIds();
      int[] got = ours.encode(text, 10_000).ids();
      assertEquals(
          Arrays.toString(expected),
          Arrays.toString(Arrays.stream(got).asLongStream().toArray()),
          () -> "ids differ for: " + text);
    }
  }

  @Test
  void wrapsInClsSepAndTruncatesAtTheWindow() {
    var empty = ours.encode("", 256);
    assertEquals(List.of(101, 102), Arrays.stream(empty.ids()).boxed().toList());
    assertFalse(empty.truncated());

    // "word" is a single piece: 254 fit between [CLS] and [SEP] of a 256-id window.
    String fits = "word ".repeat(254);
    var fit = ours.encode(fits, 256);
    assertEquals(256, fit.ids().length);
    assertFalse(fit.truncated());

    var cut = ours.encode(fits + "word", 256);
    assertEquals(256, cut.ids().length);
    assertTrue(cut.truncated());
    assertEquals(102, cut.ids()[255]);
  }

  @Test
  void unknownWordsBecomeUnk() {
    assertEquals(List.of("[UNK]"), ours.tokenize("x".repeat(101)));
    assertEquals(List.of("[UNK]"), ours.tokenize("😀"));
  }
}
