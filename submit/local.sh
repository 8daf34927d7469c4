#!/usr/bin/env bash
# Runs any dpsynth subcommand in Spark local mode, with everything on the class path.
# Builds the project first when the jar is missing or older than the sources.
#
#   submit/local.sh --help
#   submit/local.sh pe --config conf/pe-fortunes.yaml
#   submit/local.sh account gaussian --sigma 2.83 --steps 5 --delta 1e-5
#
# Environment: SPARK_MASTER (default local[*]), DPSYNTH_DRIVER_MEMORY (default 4g),
# DPSYNTH_JAVA_OPTS (extra JVM options), DPSYNTH_SPARK_UI (true to start the Spark UI).
set -euo pipefail
# shellcheck source=submit/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
jar=$(dpsynth_jar submit/local.sh)
spark_props=()
dpsynth_spark_settings spark_props jvm

# shellcheck disable=SC2046,SC2086
exec java $(dpsynth_java_options) ${DPSYNTH_JAVA_OPTS:-} \
  -Xmx"${DPSYNTH_DRIVER_MEMORY:-4g}" \
  -Dspark.master="${SPARK_MASTER:-local[*]}" \
  -Dspark.driver.host=127.0.0.1 -Dspark.driver.bindAddress=127.0.0.1 \
  -Dspark.ui.enabled="${DPSYNTH_SPARK_UI:-false}" \
  -Dlog4j2.configurationFile="$dpsynth_root/conf/log4j2.properties" \
  "${spark_props[@]}" \
  -cp "$jar:$(dpsynth_classpath)" \
  org.dpsynth.cli.Main "$@"
