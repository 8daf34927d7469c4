package org.dpsynth.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class MemorisationTest {
  @Test
  void tokensAreLowerCasedWordsWithoutPunctuation() {
    assertEquals(List.of("the", "cat's", "hat", "is", "3", "sizes"), Memorisation.tokens("The cat's HAT, is: 3 sizes!"));
  }

  @Test
  void longestCommonSpanIsContiguous() {
    assertEquals(3, Memorisation.longestCommonSpan(Memorisation.tokens("the cat sat on the mat"),
        Memorisation.tokens("a cat sat on a mat")));
    assertEquals(1, Memorisation.longestCommonSpan(Memorisation.tokens("a b c"), Memorisation.tokens("c b a")));
    assertEquals(0, Memorisation.longestCommonSpan(Memorisation.tokens("x y"), Memorisation.tokens("")));
    assertEquals(4, Memorisation.longestCommonSpan(Memorisation.tokens("q w e r"), Memorisation.tokens("z q w e r z")));
  }

  /* The span is taken with the nearest real text by embedding, not the best-matching text. */
  @Test
  void spanIsMeasuredAgainstTheNearestRealTextByEmbedding() {
    List<String> real = List.of("one two three four five", "alpha beta gamma");
    float[][] realVecs = {{1, 0}, {0, 1}};
    List<String> syn = List.of("one two three four", "alpha beta", "one two");
    // The third synthetic text shares "one two" with real 0 but sits next to real 1 in embedding space.
    float[][] synVecs = {{0.995f, 0.0998f}, {0.0998f, 0.995f}, {0.0998f, 0.995f}};
    Memorisation m = Memorisation.of(real, realVecs, syn, synVecs);
    assertArrayEquals(new int[] {4, 2, 0}, m.spanLengths());
    assertEquals(2.0, m.mean(), 1e-12);
    assertEquals(4, m.max());
    assertArrayEquals(new int[] {1, 0, 1, 0, 1}, m.histogram());
  }

  @Test
  void nearestRankPercentiles() {
    Memorisation m = new Memorisation(new int[] {10, 0, 3, 1, 2}, 0);
    assertEquals(2, m.percentile(0.5));
    assertEquals(10, m.percentile(0.9));
    assertEquals(3, m.percentile(0.8));
    assertEquals(0, m.percentile(0.0));
    assertEquals(3.2, m.mean(), 1e-12);
  }
}
