#!/usr/bin/env bash
# Benchmarks that print a table and, last, the ratios they claim (name=value lines).
#
#   submit/bench.sh vote  [--forks N] [args]   vote kernel GFLOP/s vs native OpenBLAS sgemm, N fresh JVMs (default 10)
#                                  -> per-fork lines, vote_kernel_vs_sgemm_median, _worst, vote_kernel_vs_sgemm (= median)
#   submit/bench.sh embed [args]   MiniLM texts/s vs langchain4j embedAll         -> embed_speedup_vs_default
#   submit/bench.sh scale [args]   one PE vote stage on local[2], 10k..1M private x 1k..10k synthetic
#   submit/bench.sh pld   [args]   PLD accountant per reference case, fresh JVM each -> pld_mnist_epsilon, pld_mnist_seconds, pld_mnist_vs_rdp
#   submit/bench.sh e2e   [args]   PE job end to end at 10k and 100k synthetic private records, per stage -> e2e_embed_growth, e2e_total_growth, e2e_driver_heap_mb_10k/100k
#   submit/bench.sh peers [--repeats R] [--sklearn-repeats R] [--private N] [--synthetic M] [--dim D]
#                                  vote kernel vs faiss IndexFlatIP/IndexFlatL2 and scikit-learn brute force on one
#                                  data set (default 100k x 10k x 384, k=1), one thread each
#                                  (dpsynth timed with cosine and with l2; each peer against the same metric)
#                                  -> vote_vs_faiss, vote_vs_faiss_l2, vote_vs_sklearn (l2), vote_vs_sklearn_euclidean,
#                                     vote_vs_sklearn_cosine (+ _worst); scikit-learn 1 pass unless --sklearn-repeats
#
# Builds the project first (like submit/local.sh) when the jar is missing or older than the sources.
# 'vote' and 'peers' need the system BLAS (Debian: libopenblas0-pthread); 'peers' also Debian's python3-faiss,
# python3-sklearn and python3-numpy, run by /usr/bin/python3 (never pip). They are installed when missing
# and we are root.
# Environment: DPSYNTH_BENCH_MEMORY (JVM heap, default 6g), SPARK_MASTER (scale; default local[2]),
# DPSYNTH_JAVA_OPTS (extra JVM options).
set -euo pipefail
# shellcheck source=submit/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
root=$dpsynth_root
what=${1:-}
[ $# -gt 0 ] && shift
case "$what" in
  vote) main=org.dpsynth.bench.VoteKernelBenchmark ;;
  embed) main=org.dpsynth.bench.EmbeddingBenchmark ;;
  scale) main=org.dpsynth.bench.VoteScalingBenchmark ;;
  pld) main=org.dpsynth.bench.PldBenchmark ;;
  e2e) main=org.dpsynth.bench.EndToEndBenchmark ;;
  peers) main=org.dpsynth.bench.PeersBenchmark ;;
  *) echo "usage: submit/bench.sh vote|embed|scale|pld|e2e|peers [args]" >&2; exit 2 ;;
esac

jar=$(dpsynth_jar submit/bench.sh)

# apt_install WHY PACKAGE...: installs Debian packages when we are root (update only when needed).
apt_install() {
  local why=$1
  shift
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "submit/bench.sh: installing $* ($why)..." >&2
    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@"; }) >&2
  else
    echo "submit/bench.sh: missing; install the Debian packages $* ($why)" >&2
  fi
}
if { [ "$what" = vote ] || [ "$what" = peers ]; } && ! ldconfig -p 2>/dev/null | grep -q 'libopenblas\.so\.0'; then
  apt_install "OpenBLAS for the sgemm baseline and the peers' BLAS" libopenblas0-pthread
fi
python=/usr/bin/python3
if [ "$what" = peers ] && ! "$python" -c 'import faiss, sklearn, numpy, threadpoolctl' 2>/dev/null; then
  apt_install "the Python peers" python3-faiss python3-sklearn python3-numpy
fi

java_opts=$(dpsynth_java_options)
spark_props=()
dpsynth_spark_settings spark_props jvm
cd "$root"
# One BLAS thread: the kernel runs on one core per Spark task, so the baseline does too.
export OPENBLAS_NUM_THREADS=1
export OMP_NUM_THREADS=1
if [ "$what" = vote ] && [ -z "${DPSYNTH_BENCH_FORKED:-}" ]; then
  # JIT and heap state differ between JVMs: run N fresh JVMs and report the median and worst fork.
  forks=10
  args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --forks) forks=$2; shift 2 ;;
      *) args+=("$1"); shift ;;
    esac
  done
  ratios=()
  for f in $(seq 1 "$forks"); do
    r=$(DPSYNTH_BENCH_FORKED=1 "$0" vote ${args[@]+"${args[@]}"} | tee /dev/stderr | sed -n 's/^vote_kernel_vs_sgemm=//p')
    echo "fork $f: vote_kernel_vs_sgemm=$r"
    ratios+=("$r")
  done
  printf '%s\n' "${ratios[@]}" | sort -g | awk '{v[NR]=$1} END {
    m = NR % 2 ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2;
    printf "forks=%d per_fork=", NR; for (i = 1; i <= NR; i++) printf "%s%s", v[i], (i < NR ? "," : "\n");
    printf "vote_kernel_vs_sgemm_median=%.3f\nvote_kernel_vs_sgemm_worst=%.3f\nvote_kernel_vs_sgemm=%.3f\n", m, v[1], m }'
  exit 0
fi
# vote: measure on a touched heap, like a long-running executor's. On a fresh G1 heap the kernel ran at
# ~25 GFLOP/s for the first seconds (no kernel recompilation in that window) and ~120 after; with
# -XX:+AlwaysPreTouch it ran at ~110-130 from the first round (docs/performance.md, "Vote kernel").
heap_opts="-Xmx${DPSYNTH_BENCH_MEMORY:-6g}"
case "$what" in vote|peers) heap_opts="$heap_opts -Xms${DPSYNTH_BENCH_MEMORY:-6g} -XX:+AlwaysPreTouch" ;; esac
run_java() {
  # shellcheck disable=SC2086
  java $java_opts ${DPSYNTH_JAVA_OPTS:-} $heap_opts \
    -Dspark.master="${SPARK_MASTER:-local[2]}" "${spark_props[@]}" \
    -Dspark.driver.host=127.0.0.1 -Dspark.driver.bindAddress=127.0.0.1 -Dspark.ui.enabled=false \
    -Dlog4j2.configurationFile="$root/conf/log4j2.properties" \
    -cp "$jar:$(dpsynth_classpath)" "$main" "$@"
}
if [ "$what" = peers ]; then
  # One data set, written once by the Java side (which votes on it first), read by the Python side.
  java_args=()
  py_args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --repeats) java_args+=("$1" "$2"); py_args+=("$1" "$2"); shift 2 ;;
      --sklearn-repeats) py_args+=("$1" "$2"); shift 2 ;;
      *) java_args+=("$1" "$2"); shift 2 ;;
    esac
  done
  data=$(mktemp -d "${TMPDIR:-/tmp}/dpsynth-peers.XXXXXX")
  trap 'rm -rf "$data"' EXIT
  run_java --dir "$data" ${java_args[@]+"${java_args[@]}"}
  "$python" "$root/submit/bench/peers.py" "$data" ${py_args[@]+"${py_args[@]}"}
  exit 0
fi
run_java "$@"
