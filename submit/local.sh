#!/usr/bin/env bash
# Runs any dpsynth subcommand in Spark local mode, with everything on the class path.
# Builds the project first when the jar is missing or older than the sources.
#
#   submit/local.sh --help
#   submit/local.sh pe --config conf/pe-fortunes.yaml
#   submit/local.sh account gaussian --sigma 2.83 --steps 5 --delta 1e-5
#
# Environment: SPARK_MASTER (default local[*]), DPSYNTH_DRIVER_MEMORY (default 4g),
# DPSYNTH_JAVA_OPTS (extra JVM options).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
jar=$(ls "$root"/target/dpsynth-*.jar 2>/dev/null | grep -v original | head -n 1 || true)

stale() {
  [ -z "$jar" ] || [ ! -f "$root/target/classpath.txt" ] && return 0
  [ -n "$(find "$root/src/main" "$root/pom.xml" "$root/data-samples/public-corpus.jsonl" -newer "$jar" -print -quit 2>/dev/null)" ]
}
if stale; then
  echo "submit/local.sh: building dpsynth (mvn package)..." >&2
  (cd "$root" && mvn -q -B -DskipTests package) >&2
  jar=$(ls "$root"/target/dpsynth-*.jar | grep -v original | head -n 1)
fi

# Java 17 options, kept in one place: conf/java-options (one per line, '#' comment lines).
java_opts=$(grep -v '^[[:space:]]*#' "$root/conf/java-options" | tr '\n' ' ')
spark_props=()
while read -r key value; do
  case "$key" in ''|'#'*) continue ;; esac
  spark_props+=("-D$key=$value")
done < "$root/conf/spark-defaults.conf"

# shellcheck disable=SC2086
exec java $java_opts ${DPSYNTH_JAVA_OPTS:-} \
  -Xmx"${DPSYNTH_DRIVER_MEMORY:-4g}" \
  -Dspark.master="${SPARK_MASTER:-local[*]}" \
  -Dspark.driver.host=127.0.0.1 -Dspark.driver.bindAddress=127.0.0.1 \
  -Dspark.ui.enabled="${DPSYNTH_SPARK_UI:-false}" \
  -Dlog4j2.configurationFile="$root/conf/log4j2.properties" \
  "${spark_props[@]}" \
  -cp "$jar:$(cat "$root/target/classpath.txt")" \
  org.dpsynth.cli.Main "$@"
