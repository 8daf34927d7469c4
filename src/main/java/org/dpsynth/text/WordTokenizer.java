package org.dpsynth.text;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Lower-cased word/punctuation tokeniser and a readable detokeniser for the demo n-gram model.
 *
 * <p>A word is a run of letters/digits, optionally joined by apostrophes ({@code don't}, {@code
 * o'clock}) or inner hyphens ({@code well-known}); {@code ...} and {@code --} are single tokens;
 * every other non-space character is a token of its own.
 */
public final class WordTokenizer {
  private WordTokenizer() {}

  /** Lower-cased tokens. */
  public static List<String> tokenize(String text) {
    return tokenize(text, true);
  }

  /** Tokens with their original letter case (for variations that keep untouched words). */
  public static List<String> tokenizeKeepingCase(String text) {
    return tokenize(text, false);
  }

  private static List<String> tokenize(String text, boolean lower) {
    List<String> out = new ArrayList<>();
    if (text == null) {
      return out;
    }
    int n = text.length();
    int i = 0;
    StringBuilder sb = new StringBuilder();
    while (i < n) {
      char c = text.charAt(i);
      if (Character.isWhitespace(c) || Character.isISOControl(c)) {
        i++;
      } else if (Character.isLetterOrDigit(c)) {
        sb.setLength(0);
        while (i < n) {
          char d = text.charAt(i);
          if (Character.isLetterOrDigit(d)) {
            sb.append(d);
            i++;
          } else if ((d == '\'' || d == '\u2019' || d == '-')
              && i + 1 < n
              && Character.isLetterOrDigit(text.charAt(i + 1))) {
            sb.append(d == '-' ? '-' : '\'');
            i++;
          } else {
            break;
          }
        }
        out.add(lower ? sb.toString().toLowerCase(Locale.ROOT) : sb.toString());
      } else if ((c == '.' || c == '-') && i + 1 < n && text.charAt(i + 1) == c) {
        int j = i;
        while (j < n && text.charAt(j) == c) {
          j++;
        }
        out.add(c == '.' ? "..." : "--");
        i = j;
      } else {
        out.add(normalisePunct(c));
        i++;
      }
    }
    return out;
  }

  private static String normalisePunct(char c) {
    switch (c) {
      case '\u2018':
      case '\u2019':
      case '`':
        return "'";
      case '\u201c':
      case '\u201d':
        return "\"";
      case '\u2013':
      case '\u2014':
        return "--";
      case '\u2026':
        return "...";
      default:
        return String.valueOf(c);
    }
  }

  public static boolean isWord(String token) {
    return !token.isEmpty() && Character.isLetterOrDigit(token.charAt(0));
  }

  public static boolean isSentenceEnd(String token) {
    return token.equals(".") || token.equals("!") || token.equals("?");
  }

  /** Joins tokens with English spacing and capitalisation (sentence starts and "I"). */
  public static String detokenize(List<String> tokens) {
    return detokenize(tokens, null);
  }

  /**
   * As {@link #detokenize(List)}, but re-cases only tokens with {@code recase[i]} set (all if
   * {@code recase} is null), so untouched words keep their original case.
   */
  public static String detokenize(List<String> tokens, boolean[] recase) {
    StringBuilder sb = new StringBuilder();
    boolean capitalise = true;
    boolean quoteOpen = false;
    boolean glueNext = true; // no space before the first token
    for (int i = 0; i < tokens.size(); i++) {
      String t = tokens.get(i);
      boolean glue = glueNext;
      glueNext = false;
      String out = t;
      switch (t) {
        case ".", ",", "!", "?", ";", ":", ")", "]", "}", "%", "...":
          glue = true;
          break;
        case "(", "[", "{", "$", "#":
          glueNext = true;
          break;
        case "\"":
          if (quoteOpen) {
            glue = true;
          } else {
            glueNext = true;
          }
          quoteOpen = !quoteOpen;
          break;
        case "'":
          glue = true;
          break;
        default:
          break;
      }
      if (isWord(t) && recase != null && !recase[i]) {
        capitalise = false;
      } else if (isWord(t)) {
        if (capitalise) {
          out = Character.toUpperCase(t.charAt(0)) + t.substring(1);
          capitalise = false;
        } else if (t.equals("i") || t.startsWith("i'")) {
          out = "I" + t.substring(1);
        }
      }
      if (!glue && sb.length() > 0) {
        sb.append(' ');
      }
      sb.append(out);
      if (isSentenceEnd(t)) {
        capitalise = true;
      }
    }
    return sb.toString();
  }
}
