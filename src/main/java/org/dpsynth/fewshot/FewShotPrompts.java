package org.dpsynth.fewshot;

import java.util.List;

/** Prompt layout shared by generation and evaluation: "Topic: L. Text: T" blocks. */
public final class FewShotPrompts {
  private FewShotPrompts() {}

  /** One demonstration (or private example) block. */
  public static String block(String label, String text) {
    return "Topic: " + label + ". Text: " + text + "\n";
  }

  /** Instruction + example blocks + the open header for {@code label} + the tokens so far. */
  public static String generation(String instruction, List<String> examples, String label, List<String> generated) {
    StringBuilder sb = new StringBuilder(instruction).append('\n');
    for (String e : examples) {
      sb.append(block(label, e));
    }
    sb.append("Topic: ").append(label).append(". Text:");
    for (String t : generated) {
      sb.append(' ').append(t);
    }
    return sb.toString();
  }

  /** Demonstrations in classification order (text first, then its topic), then the test text. */
  public static String classification(String instruction, List<String[]> demos, String text) {
    StringBuilder sb = new StringBuilder(instruction).append('\n');
    for (String[] d : demos) {
      sb.append("Text: ").append(d[1]).append(" Topic: ").append(d[0]).append(".\n");
    }
    sb.append("Text: ").append(text).append(" Topic:");
    return sb.toString();
  }

  /** Joins generated tokens into readable text (no space before closing punctuation). */
  public static String detokenize(List<String> tokens) {
    StringBuilder sb = new StringBuilder();
    for (String t : tokens) {
      boolean closing = t.length() == 1 && ".,;:!?)'\"".indexOf(t.charAt(0)) >= 0;
      if (sb.length() > 0 && !closing) {
        sb.append(' ');
      }
      sb.append(t);
    }
    return sb.toString();
  }
}
