"""Airflow DAG: a daily dpsynth Private Evolution run that cannot overspend the dataset's budget.

One task runs submit/cluster.sh (BashOperator) with the driver in client mode on the Airflow
worker, so that dpsynth's exit code and its --json line reach Airflow (in cluster deploy mode
spark-submit reports only "failed" and the driver's stdout stays in the cluster's logs):

- Shared ledger and a cap: every run charges the same dataset ledger (budget.ledger: an hdfs://
  directory or a jdbc: URL, never one per run) and stops at budget.total_epsilon, the dataset's
  total over all runs and methods.
- One run directory per logical date (<runs>/{{ ds }}): a retry, or a task cleared and run again,
  resumes that run (or finds it complete and charges nothing); it never starts a fresh one.
- Exit code 3 (budget exhausted; nothing was drawn) is a distinct outcome: the task is skipped,
  not failed and not retried. Exit code 1 (unexpected error) is retried and the retry resumes.
- --json: the last stdout line is the run's summary (run id, status, epsilon, delta, output URIs),
  which BashOperator pushes to XCom (key "return_value").

Airflow Variables (all optional; the defaults are below):
  dpsynth_master               spark-submit --master (yarn, k8s://..., spark://...)
  dpsynth_runs                 parent of the run directories (a Hadoop URI the driver and the
                               executors both reach, e.g. hdfs:///dpsynth/runs/pe-fortunes)
  dpsynth_ledger               the dataset's ledger: hdfs://... or jdbc:postgresql://host/db
  dpsynth_total_epsilon        the cap: total epsilon ever to be spent on the dataset
  dpsynth_ledger_user          database user of a jdbc: ledger
  dpsynth_ledger_password_env  name of the worker's environment variable holding that user's
                               password (the password itself never goes in a Variable or a config)
The Airflow worker needs DPSYNTH_HOME (a built checkout: submit/, conf/ and target/dpsynth-*.jar),
spark-submit on PATH (or SPARK_SUBMIT) and the cluster's client configuration (HADOOP_CONF_DIR /
YARN_CONF_DIR for YARN). submit/cluster.sh keeps the cluster's spark-defaults.conf and adds ours.
"""
import os
from datetime import datetime, timedelta

from airflow import DAG

try:  # Airflow 3 (and 2.x with the standard provider)
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2.6+
    from airflow.operators.bash import BashOperator

DPSYNTH_HOME = os.environ.get("DPSYNTH_HOME", "/opt/dpsynth")
JOB_CONFIG = "conf/pe-fortunes.yaml"

# dpsynth's exit code for "budget exhausted: budget.total_epsilon would be exceeded; nothing was drawn".
BUDGET_EXHAUSTED = 3

DEFAULTS = {
    "dpsynth_master": "yarn",
    "dpsynth_runs": "hdfs:///dpsynth/runs/pe-fortunes",
    "dpsynth_ledger": "hdfs:///dpsynth/privacy-ledgers/fortunes-private",
    # The cap bounds the composition of every release on the dataset, which is tighter than a sum:
    # six runs at the config's privacy.epsilon = 4 compose to about 11.3 at delta = 1e-6, a seventh
    # would pass 12. Then every run is skipped until an operator raises the cap on purpose.
    "dpsynth_total_epsilon": "12",
    "dpsynth_ledger_user": "",
    "dpsynth_ledger_password_env": "",
}


def variable(name):
    """A template reading Airflow Variable `name` at run time, with its documented default."""
    return "{{ var.value.get('%s', '%s') }}" % (name, DEFAULTS[name])


with DAG(
    dag_id="dpsynth_private_evolution",
    description="DP synthetic corpus with Private Evolution (dpsynth), capped by the dataset's shared ledger",
    start_date=datetime(2026, 1, 1),
    schedule="@daily",
    catchup=False,
    max_active_runs=1,
    default_args={"retries": 2, "retry_delay": timedelta(minutes=10)},
) as dag:
    BashOperator(
        task_id="dpsynth_pe",
        # Values go through the environment, so that URLs with & or ? need no shell quoting.
        env={
            "DPSYNTH_HOME": DPSYNTH_HOME,
            "DPSYNTH_MASTER": variable("dpsynth_master"),
            # The same directory for a logical date, whatever the try: a retry resumes the run.
            "DPSYNTH_RUN_DIR": variable("dpsynth_runs") + "/{{ ds }}",
            "DPSYNTH_LEDGER": variable("dpsynth_ledger"),
            "DPSYNTH_TOTAL_EPSILON": variable("dpsynth_total_epsilon"),
            "DPSYNTH_LEDGER_USER": variable("dpsynth_ledger_user"),
            "DPSYNTH_LEDGER_PASSWORD_ENV": variable("dpsynth_ledger_password_env"),
        },
        append_env=True,  # keep the worker's PATH, JAVA_HOME, HADOOP_CONF_DIR and the ledger password
        bash_command=(
            '"$DPSYNTH_HOME/submit/cluster.sh" --master "$DPSYNTH_MASTER" --deploy-mode client'
            ' -- pe --config "$DPSYNTH_HOME/' + JOB_CONFIG + '" --out "$DPSYNTH_RUN_DIR" --json'
            ' --set "budget.ledger=$DPSYNTH_LEDGER"'
            ' --set "budget.total_epsilon=$DPSYNTH_TOTAL_EPSILON"'
            ' --set "budget.ledger_user=$DPSYNTH_LEDGER_USER"'
            ' --set "budget.ledger_password_env=$DPSYNTH_LEDGER_PASSWORD_ENV"'
        ),
        # Budget exhausted: skipped (not failed, not retried). Any other non-zero code fails the try.
        skip_on_exit_code=BUDGET_EXHAUSTED,
        do_xcom_push=True,
    )
