package org.dpsynth.bench;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/** The {@code --name value} options of a benchmark's {@code main}; an unknown name is an error that shows the usage. */
final class BenchArgs {
  private final Map<String, String> values = new HashMap<>();

  BenchArgs(String[] args, String usage, String... names) {
    Set<String> known = Set.of(names);
    for (int i = 0; i < args.length; i++) {
      if (!known.contains(args[i]) || i + 1 == args.length) {
        throw new IllegalArgumentException("unknown argument " + args[i] + "; usage: " + usage);
      }
      values.put(args[i], args[++i]);
    }
  }

  int integer(String name, int orElse) {
    return values.containsKey(name) ? Integer.parseInt(values.get(name)) : orElse;
  }

  long longValue(String name, long orElse) {
    return values.containsKey(name) ? Long.parseLong(values.get(name)) : orElse;
  }

  String text(String name, String orElse) {
    return values.getOrDefault(name, orElse);
  }
}
