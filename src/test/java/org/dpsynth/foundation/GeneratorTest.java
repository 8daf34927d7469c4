package org.dpsynth.foundation;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.dpsynth.foundation.Generator.TokenLogProb;
import org.junit.jupiter.api.Test;

/**
 * The contract's default log-probabilities and end-of-text token, which every generator without an
 * exact scorer (the OpenAI-compatible one) relies on: DP few-shot generation and the in-context
 * classifier call them on any generator, never on a concrete class.
 */
class GeneratorTest {

  /** A generator that only knows a fixed top-token list, as a completion API does. */
  private static final class TopOnly implements Generator {
    final List<TokenLogProb> top;
    final List<Integer> asked = new ArrayList<>();

    TopOnly(List<TokenLogProb> top) {
      this.top = top;
    }

    @Override
    public List<String> random(String label, int n, long seed) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<String> variation(List<String> texts, double degree, long seed) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<TokenLogProb> topTokens(String prompt, int k) {
      asked.add(k);
      return top.subList(0, Math.min(k, top.size()));
    }
  }

  @Test
  void defaultLogProbsLookCandidatesUpVerbatimThenTrimmedAndLowerCased() {
    TopOnly g = new TopOnly(List.of(
        new TokenLogProb(" Yes", -0.1), new TokenLogProb("no", -2.5), new TokenLogProb("yes", -3.0),
        new TokenLogProb(" maybe", -4.0)));
    double[] lp = g.logProbs("prompt", List.of("yes", "no", "Maybe", "never"));
    // "yes" is found verbatim (-3.0), not through " Yes"; "Maybe" only after normalising " maybe".
    assertArrayEquals(new double[] {-3.0, -2.5, -4.0, Double.NEGATIVE_INFINITY}, lp, 0.0);
  }

  @Test
  void defaultLogProbsAskForAtLeastTwentyAndFiveTimesTheCandidates() {
    TopOnly g = new TopOnly(List.of(new TokenLogProb("a", -1)));
    g.logProbs("p", List.of("a", "b"));
    g.logProbs("p", List.of("a", "b", "c", "d", "e", "f", "g"));
    assertEquals(List.of(20, 35), g.asked);
  }

  @Test
  void theFirstOfTwoTokensThatNormaliseAlikeWins() {
    TopOnly g = new TopOnly(List.of(new TokenLogProb(" Spam", -0.5), new TokenLogProb("SPAM ", -1.5)));
    assertArrayEquals(new double[] {-0.5}, g.logProbs("p", List.of("spam")), 0.0);
  }

  @Test
  void theDefaultEndOfTextIsTheNewline() {
    assertEquals("\n", new TopOnly(List.of()).endOfText());
  }
}
