"""Airflow DAG: a nightly dpsynth Private Evolution run with SparkSubmitOperator.

It submits what submit/cluster.sh submits (a test in src/test runs this file and checks that the
two agree): the jar, the main class, our Spark settings as --conf pairs read from
DPSYNTH_HOME/conf/spark-defaults.conf and DPSYNTH_HOME/conf/java-options (so the cluster's own
spark-defaults.conf stays in force), the log4j2 config and the job config shipped with the job
(--files), and the job config passed by its file name. Copy the jar and conf/ to DPSYNTH_HOME,
and point the "spark_default" connection at your cluster (YARN, Kubernetes or standalone URL).
"""
import os
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

DPSYNTH_HOME = os.environ.get("DPSYNTH_HOME", "/opt/dpsynth")
DPSYNTH_VERSION = "0.1.0-SNAPSHOT"
JOB_CONFIG = "pe-fortunes.yaml"


def java_options(home):
    """conf/java-options as one line: the one source of the Java 17 options."""
    with open(os.path.join(home, "conf", "java-options")) as f:
        return " ".join(line.strip() for line in f if line.strip() and not line.lstrip().startswith("#"))


def spark_settings(home):
    """Our Spark settings: conf/spark-defaults.conf, the Java options and the log4j2 config by name."""
    conf = {}
    with open(os.path.join(home, "conf", "spark-defaults.conf")) as f:
        for line in f:
            parts = line.strip().split(None, 1)
            if parts and not parts[0].startswith("#"):
                conf[parts[0]] = parts[1] if len(parts) > 1 else ""
    # Cluster mode: the driver and the executors find the shipped log4j2.properties in their working directory.
    opts = java_options(home) + " -Dlog4j2.configurationFile=log4j2.properties"
    conf["spark.driver.extraJavaOptions"] = opts
    conf["spark.executor.extraJavaOptions"] = opts
    return conf


with DAG(
    dag_id="dpsynth_private_evolution",
    description="DP synthetic corpus with Private Evolution (dpsynth)",
    start_date=datetime(2026, 1, 1),
    schedule="@daily",
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 1, "retry_delay": timedelta(minutes=10)},
) as dag:
    SparkSubmitOperator(
        task_id="dpsynth_pe",
        conn_id="spark_default",
        application=f"{DPSYNTH_HOME}/dpsynth-{DPSYNTH_VERSION}.jar",
        java_class="org.dpsynth.cli.Main",
        deploy_mode="cluster",
        conf=spark_settings(DPSYNTH_HOME),
        files=f"{DPSYNTH_HOME}/conf/log4j2.properties,{DPSYNTH_HOME}/conf/{JOB_CONFIG}",
        # Re-running the same arguments on the same --out directory resumes an interrupted run.
        # --json: the last line of the driver's stdout is the run's summary (run id, status, epsilon).
        application_args=[
            "pe",
            "--config", JOB_CONFIG,
            "--out", "/data/dpsynth/runs/{{ ds }}",
            "--json",
        ],
    )
