package org.dpsynth.text;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class WordTokenizerTest {

  @Test
  void splitsWordsAndPunctuationLowerCased() {
    assertEquals(List.of("don't", "panic", ",", "arthur", "--", "it's", "well-known", "...", "!"),
        WordTokenizer.tokenize("Don't PANIC, Arthur -- it’s well-known...!"));
    assertEquals(List.of(), WordTokenizer.tokenize("  \n\t "));
  }

  @Test
  void detokenisesReadably() {
    for (String s : List.of(
        "Hello, world! I don't know.",
        "He said \"yes\" and left (quietly).",
        "It costs $5 -- or 10%.")) {
      assertEquals(s, WordTokenizer.detokenize(WordTokenizer.tokenizeKeepingCase(s)));
    }
    assertEquals("I think so. Then I left.",
        WordTokenizer.detokenize(WordTokenizer.tokenize("i think so. then i left.")));
  }
}
