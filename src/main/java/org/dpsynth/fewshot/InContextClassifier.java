package org.dpsynth.fewshot;

import java.util.ArrayList;
import java.util.List;
import org.dpsynth.foundation.Generator;

/**
 * In-context classification (the downstream task of Tang et al. 2024): the predicted label of a
 * text is the label word the generator finds most likely after the demonstrations, the text and
 * "Topic:".
 */
public final class InContextClassifier {
  private final Generator generator;
  private final String instruction;
  private final List<String> labels;

  public InContextClassifier(Generator generator, String instruction, List<String> labels) {
    this.generator = generator;
    this.instruction = instruction;
    this.labels = List.copyOf(labels);
  }

  /** The predicted label of {@code text} given demonstrations ({label, text} pairs). */
  public String classify(List<String[]> demos, String text) {
    String prompt = FewShotPrompts.classification(instruction, demos, text);
    double[] scores = generator.logProbs(prompt, labels);
    return labels.get(TokenDistributions.argmax(scores));
  }

  /** Accuracy over {label, text} test pairs whose label is in the label set. */
  public double accuracy(List<String[]> demos, List<String[]> tests) {
    int n = 0;
    int correct = 0;
    for (String[] t : tests) {
      if (!labels.contains(t[0])) {
        continue;
      }
      n++;
      if (classify(demos, t[1]).equals(t[0])) {
        correct++;
      }
    }
    return n == 0 ? Double.NaN : (double) correct / n;
  }

  /** Public-only demonstrations (ε = 0): greedy decoding from the prompt without private examples. */
  public static List<String[]> publicDemonstrations(Generator generator, String instruction, List<String> labels,
      int perLabel, int candidates, int maxTokens) {
    List<String[]> out = new ArrayList<>();
    for (String label : labels) {
      List<String> toks = new ArrayList<>();
      while (toks.size() < maxTokens) {
        String prompt = FewShotPrompts.generation(instruction, List.of(), label, toks);
        List<String> cand = TokenDistributions.candidates(generator, prompt, candidates);
        String t = cand.get(TokenDistributions.argmax(TokenDistributions.restricted(generator, prompt, cand)));
        if (t.equals(generator.endOfText()) || t.equals("\n")) {
          break;
        }
        toks.add(t);
      }
      for (int i = 0; i < perLabel; i++) {
        out.add(new String[] {label, FewShotPrompts.detokenize(toks)});
      }
    }
    return out;
  }
}
