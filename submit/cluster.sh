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
#   --conf KEY=VALUE      extra Spark settings (repeatable; they win over ours)
#   --files LIST          extra files to ship (comma-separated; added to ours)
#   --jar PATH            the dpsynth jar (default: target/dpsynth-<version>.jar, built if missing)
# The cluster's own spark-defaults.conf stays in force: ours (conf/spark-defaults.conf, the Java
# options of conf/java-options, the log4j2 config) are added as --conf pairs. A local --config
# file is shipped with the job (--files) and passed by name; hdfs://, s3a://... paths pass as given.
# Environment: SPARK_SUBMIT (default: spark-submit on PATH, else Spark's SparkSubmit class from the
# project's own class path), DPSYNTH_DRY_RUN=1 prints the command instead of running it.
set -euo pipefail
# shellcheck source=submit/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$dpsynth_root

MAIN_CLASS=org.dpsynth.cli.Main
jar=""
master=""
deploy_mode=client
confs=()
files=("$root/conf/log4j2.properties")
while [ $# -gt 0 ]; do
  case "$1" in
    --master) master=$2; shift 2 ;;
    --deploy-mode) deploy_mode=$2; shift 2 ;;
    --conf) confs+=(--conf "$2"); shift 2 ;;
    --files) IFS=, read -r -a more <<< "$2"; files+=("${more[@]}"); shift 2 ;;
    --jar) jar=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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

# The dpsynth arguments; a --config that is a local file is shipped and named by its file name
# (the driver finds a shipped file by name in every deploy mode; see JobFiles).
app_args=()
while [ $# -gt 0 ]; do
  arg=$1; shift
  value=""
  case "$arg" in
    --config) value=${1:-}; [ $# -gt 0 ] && shift ;;
    --config=*) value=${arg#--config=} ;;
    *) app_args+=("$arg"); continue ;;
  esac
  if [[ "$value" != *:* && -f "$value" ]]; then
    files+=("$(cd "$(dirname "$value")" && pwd)/$(basename "$value")")
    value=$(basename "$value")
  fi
  app_args+=(--config "$value")
done

# Java 17 options, kept in one place: conf/java-options.
java_opts=$(dpsynth_java_options)
# log4j2 config: in client mode the driver is this machine (an absolute path); in cluster mode the
# driver, like YARN and Kubernetes executors, finds the shipped copy in its working directory.
if [ "$deploy_mode" = cluster ]; then
  driver_log4j=log4j2.properties
else
  driver_log4j="$root/conf/log4j2.properties"
fi

cmd=()
if [ -n "${SPARK_SUBMIT:-}" ]; then
  read -r -a cmd <<< "$SPARK_SUBMIT"
elif command -v spark-submit >/dev/null 2>&1 || [ -n "${DPSYNTH_DRY_RUN:-}" ]; then
  cmd=(spark-submit)
else
  # No Spark distribution here: use spark-submit's own class from the project's class path. This
  # JVM is the driver in client mode, so it gets the driver's Java options itself.
  [ -n "$jar" ] || jar=$(dpsynth_jar submit/cluster.sh)
  # shellcheck disable=SC2206
  cmd=(java $java_opts "-Dlog4j2.configurationFile=$driver_log4j" -cp "$(dpsynth_classpath)" org.apache.spark.deploy.SparkSubmit)
fi
if [ -z "$jar" ]; then
  if [ -n "${DPSYNTH_DRY_RUN:-}" ]; then
    jar="$root/target/dpsynth-$dpsynth_version.jar"
  else
    jar=$(dpsynth_jar submit/cluster.sh)
  fi
fi

# Our Spark settings as --conf pairs (a --properties-file would hide the cluster's spark-defaults.conf).
ours=()
dpsynth_spark_settings ours submit

cmd+=(
  --master "$master"
  --deploy-mode "$deploy_mode"
  --class "$MAIN_CLASS"
  ${ours[@]+"${ours[@]}"}
  --conf "spark.driver.extraJavaOptions=$java_opts -Dlog4j2.configurationFile=$driver_log4j"
  --conf "spark.executor.extraJavaOptions=$java_opts -Dlog4j2.configurationFile=log4j2.properties"
  --files "$(IFS=,; echo "${files[*]}")"
  ${confs[@]+"${confs[@]}"}
  "$jar"
  "${app_args[@]}"
)
if [ -n "${DPSYNTH_DRY_RUN:-}" ]; then
  printf '%s\n' "${cmd[@]}"
  exit 0
fi
exec "${cmd[@]}"
