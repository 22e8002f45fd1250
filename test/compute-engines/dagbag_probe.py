"""Loads a DAG folder with Airflow's own DagBag and prints what the test asserts, as one JSON line.

    python dagbag_probe.py DAG_FOLDER DAG_ID TASK_ID [BROKEN_DAG_FOLDER]

Run with the python of an Airflow venv (.ci/setup.d/55-airflow.sh). For the task it renders the templated fields
as a run would, then builds the body the SparkKubernetesOperator's launcher submits to the Kubernetes API: with
the DAG's default params (a scheduled run), and with the params of env PROBE_PARAMS (a JSON object, as a
triggered run's conf overrides them) when set. PROBE_PAUSED_FOLDER: another folder whose DAG's
is_paused_upon_creation is reported too.
"""

import json
import os
import sys
import warnings

warnings.simplefilter("ignore")
folder, dag_id, task_id = sys.argv[1:4]
broken_folder = sys.argv[4] if len(sys.argv) > 4 else None

import airflow  # noqa: E402

try:  # Airflow 3.3 moved DagBag and dropped include_examples.
    from airflow.dag_processing.dagbag import DagBag
except ImportError:
    from airflow.models.dagbag import DagBag


def load(path):
    try:
        return DagBag(dag_folder=path, include_examples=False)
    except TypeError:
        return DagBag(dag_folder=path)


def last_line(err):
    lines = [line for line in str(err).strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


bag = load(folder)

out = {
    "airflow": airflow.__version__,
    "import_errors": {k: last_line(v) for k, v in bag.import_errors.items()},
    "dag_ids": sorted(bag.dag_ids),
}
dag = bag.dags.get(dag_id)
if dag is not None:
    from airflow.providers.cncf.kubernetes import __version__ as provider_version
    from airflow.providers.cncf.kubernetes.operators.custom_object_launcher import CustomObjectLauncher

    task = dag.get_task(task_id)
    schedule = getattr(dag, "schedule", None)
    if schedule is None or not isinstance(schedule, str):
        schedule = getattr(dag, "schedule_interval", None)
    out.update(
        {
            "provider": provider_version,
            "task_ids": sorted(t.task_id for t in dag.tasks),
            "schedule": str(schedule),
            "catchup": dag.catchup,
            "max_active_runs": dag.max_active_runs,
            "operator": f"{type(task).__module__}.{type(task).__name__}",
            "retries": task.retries,
            "retry_delay_s": task.retry_delay.total_seconds(),
            "namespace": task.namespace,
            "name": task.name,
            "application_file": task.application_file,
        }
    )
    # As a run does: Airflow's template loader reads the file named by application_file from the DAG's folder.
    task.render_template_fields(context={})
    out["application_file_rendered"] = task.application_file

    def submitted(params):
        # What the task's execute() sets before the launcher reads the template (the run's resolved params).
        if params is not None:
            task._lakehouse_params = params
        body = task.manage_template_specs()
        return CustomObjectLauncher(
            name="SUBMITTED-NAME", namespace=task.namespace, kube_client=None, custom_obj_api=None, template_body=body
        )

    from airflow.providers.cncf.kubernetes.operators.spark_kubernetes import SparkKubernetesOperator

    launcher = submitted(None)
    defaults = {k: dag.params[k] for k in dag.params.keys()}
    out["submitted"] = launcher.body
    out["plural"] = launcher.plural
    out["api"] = f"{launcher.api_group}/{launcher.api_version}"
    out["is_spark_kubernetes_operator"] = isinstance(task, SparkKubernetesOperator)
    out["paused_upon_creation"] = dag.is_paused_upon_creation
    out["params"] = defaults
    out["submitted_with_defaults"] = submitted(dict(defaults)).body
    if os.environ.get("PROBE_PARAMS"):
        out["submitted_with_params"] = submitted({**defaults, **json.loads(os.environ["PROBE_PARAMS"])}).body
if os.environ.get("PROBE_PAUSED_FOLDER"):
    other = load(os.environ["PROBE_PAUSED_FOLDER"]).dags.get(dag_id)
    out["other_folder_paused_upon_creation"] = other.is_paused_upon_creation if other else None
if broken_folder:
    out["broken_import_errors"] = {k: last_line(v) for k, v in load(broken_folder).import_errors.items()}
print(json.dumps(out, default=str))
