"""Runs an Airflow DAG file with stand-ins for the Airflow classes it imports (Airflow itself is not
installable here) and renders its task's templated fields with Jinja2 the way Airflow does
(StrictUndefined, so a template naming anything outside the given context fails).

usage: python3 run_airflow_dag.py DAG_FILE RENDERS_JSON
RENDERS_JSON: a list of {"ds": ..., "run_id": ..., "try_number": ..., "variables": {...}}.
Prints one JSON object: the DAG's and the task's keyword arguments and, per render, the rendered
env and bash_command.
"""
import json
import runpy
import sys
import types

import jinja2

dags = []
tasks = []


class DAG:
    def __init__(self, **kw):
        self.kw = kw
        dags.append(kw)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False


class BashOperator:
    template_fields = ("bash_command", "env", "cwd")

    def __init__(self, **kw):
        tasks.append(kw)


def module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m


# Airflow 2's import path only: the DAG's Airflow 3 import must fall back to it.
module("airflow", DAG=DAG)
module("airflow.operators")
module("airflow.operators.bash", BashOperator=BashOperator)
runpy.run_path(sys.argv[1], run_name="dag")
assert len(dags) == 1 and len(tasks) == 1, "expected one DAG with one task"
task = tasks[0]


class Variables:
    """Airflow's `var.value`: get(name, default)."""

    def __init__(self, values):
        self.values = values

    def get(self, name, default=None):
        return self.values.get(name, default)


class TaskInstance:
    def __init__(self, try_number):
        self.try_number = try_number


env = jinja2.Environment(undefined=jinja2.StrictUndefined)


def render(value, context):
    if isinstance(value, str):
        return env.from_string(value).render(**context)
    if isinstance(value, dict):
        return {k: render(v, context) for k, v in value.items()}
    return value


renders = []
for r in json.loads(sys.argv[2]):
    context = {
        "ds": r["ds"],
        "ds_nodash": r["ds"].replace("-", ""),
        "ts": r["ds"] + "T00:00:00+00:00",
        "run_id": r["run_id"],
        "ti": TaskInstance(r["try_number"]),
        "params": {},
        "var": {"value": Variables(r["variables"])},
    }
    renders.append({field: render(task.get(field), context) for field in BashOperator.template_fields if field in task})

print(json.dumps({"dag": dags[0], "task": task, "renders": renders}, default=str))
