"""Airflow DAG: a nightly dpsynth Private Evolution run with SparkSubmitOperator.

It submits the same jar, main class, Spark settings and arguments as submit/cluster.sh
(a test in src/test checks that the two agree). Copy the jar and the config to the paths
below, and point the "spark_default" connection at your cluster (YARN, Kubernetes or
standalone master URL).
"""
from datetime import datetime, timedelta

from airflow import DAG
from airflow.providers.apache.spark.operators.spark_submit import SparkSubmitOperator

DPSYNTH_HOME = "/opt/dpsynth"
JAVA_17_OPTIONS = (
    "-XX:+IgnoreUnrecognizedVMOptions --add-modules=jdk.incubator.vector --add-opens=java.base/java.lang=ALL-UNNAMED "
    "--add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED "
    "--add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED "
    "--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED "
    "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED "
    "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED "
    "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED "
    "--add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED "
    "--add-opens=java.base/sun.util.calendar=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false "
    "-Dio.netty.tryReflectionSetAccessible=true"
)

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
        application=f"{DPSYNTH_HOME}/dpsynth-0.1.0-SNAPSHOT.jar",
        java_class="org.dpsynth.cli.Main",
        deploy_mode="cluster",
        properties_file=f"{DPSYNTH_HOME}/conf/spark-defaults.conf",
        files=f"{DPSYNTH_HOME}/conf/log4j2.properties",
        conf={
            "spark.driver.extraJavaOptions": JAVA_17_OPTIONS + " -Dlog4j2.configurationFile=log4j2.properties",
            "spark.executor.extraJavaOptions": JAVA_17_OPTIONS,
        },
        # Re-running the same arguments on the same --out directory resumes an interrupted run.
        application_args=[
            "pe",
            "--config", f"{DPSYNTH_HOME}/conf/pe-fortunes.yaml",
            "--out", "/data/dpsynth/runs/{{ ds }}",
        ],
    )
