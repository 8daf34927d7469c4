#!/usr/bin/env bash
# Submits a dpsynth subcommand to a cluster with spark-submit (YARN, Kubernetes or standalone).
#
#   submit/cluster.sh --master yarn --deploy-mode cluster [--conf k=v ...] -- pe --config conf/pe-fortunes.yaml
#   submit/cluster.sh --master k8s://https://HOST:6443 --deploy-mode cluster \
#       --conf spark.kubernetes.container.image=IMAGE -- pe --config conf/pe-fortunes.yaml
#   submit/cluster.sh --master spark://127.0.0.1:7077 -- pe --config conf/pe-fortunes.yaml
#
# Options before "--" go to spark-submit; everything after it is the dpsynth command line.
#   --master URL          (required)
#   --deploy-mode MODE    client (default) or cluster
#   --conf KEY=VALUE      extra Spark settings (repeatable); conf/spark-defaults.conf always applies
#   --jar PATH            the dpsynth jar (default: target/dpsynth-<version>.jar, built if missing)
# Environment: SPARK_SUBMIT (default: spark-submit on PATH, else Spark's SparkSubmit class from the
# project's own class path), DPSYNTH_DRY_RUN=1 prints the command instead of running it.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

MAIN_CLASS=org.dpsynth.cli.Main
version=$(sed -n '0,/<version>/s:.*<version>\(.*\)</version>.*:\1:p' "$root/pom.xml")
jar="$root/target/dpsynth-$version.jar"
master=""
deploy_mode=client
confs=()
while [ $# -gt 0 ]; do
  case "$1" in
    --master) master=$2; shift 2 ;;
    --deploy-mode) deploy_mode=$2; shift 2 ;;
    --conf) confs+=(--conf "$2"); shift 2 ;;
    --jar) jar=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "submit/cluster.sh: unknown option $1 (put the dpsynth command after --)" >&2; exit 2 ;;
  esac
done
if [ -z "$master" ]; then
  echo "submit/cluster.sh: --master is required (yarn, k8s://..., spark://...)" >&2
  exit 2
fi
if [ $# -eq 0 ]; then
  echo "submit/cluster.sh: give the dpsynth command after --, e.g. -- pe --config conf/pe-fortunes.yaml" >&2
  exit 2
fi

java_opts=$(sed -n 's:.*<extraJavaTestArgs>\(.*\)</extraJavaTestArgs>.*:\1:p' "$root/pom.xml")
cmd=()
if [ -n "${SPARK_SUBMIT:-}" ]; then
  read -r -a cmd <<< "$SPARK_SUBMIT"
elif command -v spark-submit >/dev/null 2>&1 || [ -n "${DPSYNTH_DRY_RUN:-}" ]; then
  cmd=(spark-submit)
else
  # No Spark distribution here: use spark-submit's own class from the project's class path.
  [ -f "$root/target/classpath.txt" ] || (cd "$root" && mvn -q -B -DskipTests package >&2)
  # shellcheck disable=SC2206
  cmd=(java $java_opts -cp "$(cat "$root/target/classpath.txt")" org.apache.spark.deploy.SparkSubmit)
fi
if [ ! -f "$jar" ] && [ -z "${DPSYNTH_DRY_RUN:-}" ]; then
  (cd "$root" && mvn -q -B -DskipTests package >&2)
fi

cmd+=(
  --master "$master"
  --deploy-mode "$deploy_mode"
  --class "$MAIN_CLASS"
  --properties-file "$root/conf/spark-defaults.conf"
  --conf "spark.driver.extraJavaOptions=$java_opts -Dlog4j2.configurationFile=log4j2.properties"
  --conf "spark.executor.extraJavaOptions=$java_opts"
  --files "$root/conf/log4j2.properties"
  ${confs[@]+"${confs[@]}"}
  "$jar"
  "$@"
)
if [ -n "${DPSYNTH_DRY_RUN:-}" ]; then
  printf '%s\n' "${cmd[@]}"
  exit 0
fi
exec "${cmd[@]}"
