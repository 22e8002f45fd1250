"""Airflow DAG `lakehouse_ingest`: runs the lakehouse sample job (stacks/compute/jobs/lakehouse_ingest.py) daily
as a SparkApplication through the Spark Operator, and waits for it to finish.

The SparkApplication is not written here: the Pulumi program renders it once (stacks/compute/sparkApplication.ts,
`sampleJobManifest`) and ships it as `lakehouse_ingest.spark-application.yaml` in the same ConfigMap (or git-sync
folder) as this file. The task submits exactly that manifest (`application_file`, read from this DAG's own
folder by Airflow's template loader), under the manifest's own name (plus the operator's random suffix) and
namespace. One template, not two.

Works on Airflow 2.10 and 3.x with apache-airflow-providers-cncf-kubernetes 10.x. The Airflow worker's
ServiceAccount needs create/get/list/watch/delete on sparkapplications and get/list/watch on pods and pods/log in
the manifest's namespace (the program creates that Role). Environment knobs (all optional):
  LAKEHOUSE_KUBERNETES_CONN_ID  Airflow connection to the cluster (default "kubernetes_default"; set it to an
                                in-cluster connection when Airflow runs in the same cluster)
  LAKEHOUSE_INGEST_SCHEDULE     cron or preset (default "@daily")
"""

import os
from datetime import datetime, timedelta, timezone

import yaml

try:  # Airflow 3: the authoring API lives in the task SDK.
    from airflow.sdk import DAG
except ImportError:  # Airflow 2.x
    from airflow import DAG

from airflow.providers.cncf.kubernetes.operators.spark_kubernetes import SparkKubernetesOperator

DAG_ID = "lakehouse_ingest"
MANIFEST_FILE = "lakehouse_ingest.spark-application.yaml"
MANIFEST_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), MANIFEST_FILE)


def _load_manifest(path):
    """The SparkApplication beside this file; a clear import error (shown by Airflow as a broken DAG) if not."""
    try:
        with open(path, encoding="utf-8") as f:
            manifest = yaml.safe_load(f)
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{path} is missing: the DAG submits the SparkApplication the lakehouse program writes beside it "
            f"(ConfigMap key {MANIFEST_FILE}); mount or sync that file into the same folder as this DAG."
        ) from None
    except yaml.YAMLError as e:
        raise ValueError(f"{path} is not valid YAML: {e}") from None
    if not isinstance(manifest, dict) or manifest.get("kind") != "SparkApplication":
        kind = manifest.get("kind") if isinstance(manifest, dict) else type(manifest).__name__
        raise ValueError(f"{path} is not a SparkApplication manifest (kind: {kind!r}).")
    meta = manifest.get("metadata") or {}
    if not meta.get("name") or not meta.get("namespace"):
        raise ValueError(f"{path}: metadata.name and metadata.namespace must both be set (seen {meta!r}).")
    return manifest


MANIFEST = _load_manifest(MANIFEST_PATH)

with DAG(
    dag_id=DAG_ID,
    description="Ingest landing files into the lakehouse Iceberg tables (Spark Operator SparkApplication)",
    schedule=os.environ.get("LAKEHOUSE_INGEST_SCHEDULE", "@daily"),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    # MERGE commits of two runs at once would only fight over the same Iceberg table.
    max_active_runs=1,
    default_args={
        "owner": "lakehouse",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
        "execution_timeout": timedelta(hours=2),
    },
    tags=["lakehouse", "spark", "iceberg"],
) as dag:
    SparkKubernetesOperator(
        task_id="ingest",
        # A template file: Airflow's loader reads it from this DAG's folder when it parses the DAG.
        application_file=MANIFEST_FILE,
        name=MANIFEST["metadata"]["name"],
        namespace=MANIFEST["metadata"]["namespace"],
        kubernetes_conn_id=os.environ.get("LAKEHOUSE_KUBERNETES_CONN_ID", "kubernetes_default"),
        get_logs=True,
        log_events_on_failure=True,
        delete_on_termination=True,
        startup_timeout_seconds=600,
    )
