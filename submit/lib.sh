# Shared by the scripts in submit/ (sourced, not run): where the project is, the jar (built when
# missing or older than the sources), the Java options and our Spark settings. One place for each,
# so local.sh, cluster.sh and bench.sh cannot drift apart.

dpsynth_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dpsynth_version=$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' "$dpsynth_root/pom.xml")

# The application jar, built first (mvn package, tests skipped) when it is missing, when the class
# path file is missing, or when a source, the pom or the embedded public corpus is newer. $1 names
# the calling script in the message.
dpsynth_jar() {
  local jar="$dpsynth_root/target/dpsynth-$dpsynth_version.jar"
  if [ ! -f "$jar" ] || [ ! -f "$dpsynth_root/target/classpath.txt" ] \
      || [ -n "$(find "$dpsynth_root/src/main" "$dpsynth_root/pom.xml" "$dpsynth_root/data-samples/public-corpus.jsonl" \
                 -newer "$jar" -print -quit 2>/dev/null)" ]; then
    echo "${1:-submit}: building dpsynth (mvn package)..." >&2
    (cd "$dpsynth_root" && mvn -q -B -DskipTests package) >&2
  fi
  echo "$jar"
}

# The dependencies' class path (written by mvn package).
dpsynth_classpath() {
  cat "$dpsynth_root/target/classpath.txt"
}

# conf/java-options on one line (the Java 17 options; '#' lines are comments). The pom reads the
# same file for the tests.
dpsynth_java_options() {
  grep -v '^[[:space:]]*#' "$dpsynth_root/conf/java-options" | tr '\n' ' ' | sed 's/ *$//'
}

# conf/spark-defaults.conf as arguments, appended to the array named by $1: "-Dkey=value" for a JVM
# that reads Spark settings from system properties (style jvm), or "--conf key=value" pairs for
# spark-submit (style submit; a --properties-file would hide the cluster's own spark-defaults.conf).
dpsynth_spark_settings() {
  local -n into=$1
  local style=$2 key value
  while read -r key value; do
    case "$key" in ''|'#'*) continue ;; esac
    if [ "$style" = submit ]; then into+=(--conf "$key=$value"); else into+=("-D$key=$value"); fi
  done < "$dpsynth_root/conf/spark-defaults.conf"
}
