"""Airflow DAG `lakehouse_ingest`: runs the lakehouse sample job (stacks/compute/jobs/lakehouse_ingest.py) daily
as a SparkApplication through the Spark Operator, and waits for it to finish.

The SparkApplication is not written here: the Pulumi program renders it once (stacks/compute/sparkApplication.ts,
`sampleJobManifest`) and ships it as `lakehouse_ingest.spark-application.yaml` in the same ConfigMap (or git-sync
folder) as this file. The task submits exactly that manifest (`application_file`, read from this DAG's own
folder by Airflow's template loader), under the manifest's own name (plus the operator's random suffix) and
namespace. One template, not two.

Run parameters (a run's conf, or the trigger form). A scheduled run uses the defaults, which are the manifest's
own values, so it submits the manifest unchanged. `verify.airflow-dag` triggers one run with its scratch values:
  source           s3a:// landing prefix the job reads (default: the manifest's --source)
  table            CATALOG.DB.TABLE the job merges into (default: the manifest's --table)
  aggregate_table  CATALOG.DB.TABLE of the daily aggregate (default: the manifest's --aggregate-table)
  labels           extra labels on the SparkApplication and its driver and executor pods (default: none)
  fail_fast        fail the task on its first error instead of retrying (default: false)
Airflow validates them when the run is created (a bad value is refused with the parameter's name).

Delivered unpaused: the program sets PAUSED_UPON_CREATION below from `lakehouse:compute.dagPausedAtCreation`
(default false). Airflow applies it only when it first sees the DAG; pausing or unpausing later is Airflow's own
state and is left alone.

Works on Airflow 2.10 and 3.x with apache-airflow-providers-cncf-kubernetes 10.x. The Airflow worker's
ServiceAccount needs create/get/list/watch/delete on sparkapplications and get/list/watch on pods and pods/log in
the manifest's namespace (the program creates that Role). Environment knobs (all optional):
  LAKEHOUSE_KUBERNETES_CONN_ID  Airflow connection to the cluster (default "kubernetes_default"; set it to an
                                in-cluster connection when Airflow runs in the same cluster)
  LAKEHOUSE_INGEST_SCHEDULE     cron or preset (default "@daily")
"""

import copy
import os
from datetime import datetime, timedelta, timezone

import yaml

try:  # Airflow 3: the authoring API lives in the task SDK.
    from airflow.sdk import DAG, Param
except ImportError:  # Airflow 2.x
    from airflow import DAG
    from airflow.models.param import Param

from airflow.exceptions import AirflowFailException
from airflow.providers.cncf.kubernetes.operators.spark_kubernetes import SparkKubernetesOperator

DAG_ID = "lakehouse_ingest"
MANIFEST_FILE = "lakehouse_ingest.spark-application.yaml"
MANIFEST_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), MANIFEST_FILE)
# Rendered by the lakehouse program from lakehouse:compute.dagPausedAtCreation (stacks/compute/airflowIntegration.ts).
PAUSED_UPON_CREATION = False

# What the job accepts (stacks/compute/jobs/lakehouse_ingest.py), checked by Airflow when a run is created.
TABLE_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$"
SOURCE_PATTERN = r"^s3a?://[^/]+/.*/$"
LABEL_KEY_PATTERN = r"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$"
LABEL_VALUE_PATTERN = r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$"
ARGUMENT_FLAGS = {"source": "--source", "table": "--table", "aggregate_table": "--aggregate-table"}


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


def manifest_argument(manifest, flag):
    """The value after `flag` in the manifest's spec.arguments; a clear error if it is not there."""
    args = list((manifest.get("spec") or {}).get("arguments") or [])
    if flag not in args or args.index(flag) + 1 >= len(args):
        raise ValueError(f"{MANIFEST_PATH}: spec.arguments has no {flag} VALUE (seen {args!r}).")
    return args[args.index(flag) + 1]


def apply_run_params(body, params):
    """The SparkApplication of one run: `body` with the run's source and tables as the job's arguments and its
    labels added to the application and its pods. Pure; with the defaults it returns `body` unchanged."""
    out = copy.deepcopy(body)
    spec = out.setdefault("spec", {})
    args = list(spec.get("arguments") or [])
    for key, flag in ARGUMENT_FLAGS.items():
        value = params.get(key)
        if value is not None and flag in args and args.index(flag) + 1 < len(args):
            args[args.index(flag) + 1] = str(value)
    spec["arguments"] = args
    labels = {str(k): str(v) for k, v in (params.get("labels") or {}).items()}
    if labels:
        meta = out.setdefault("metadata", {})
        meta["labels"] = {**(meta.get("labels") or {}), **labels}
        for role in ("driver", "executor"):
            part = spec.setdefault(role, {})
            part["labels"] = {**(part.get("labels") or {}), **labels}
    return out


class LakehouseSparkKubernetesOperator(SparkKubernetesOperator):
    """SparkKubernetesOperator that submits the manifest with the run's parameters (apply_run_params), and
    with `fail_fast` fails on the first error instead of retrying (a verification run wants one answer)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._lakehouse_params = None

    def manage_template_specs(self):
        body = super().manage_template_specs()
        if self._lakehouse_params is not None and isinstance(body.get("spark"), dict):
            body["spark"] = apply_run_params(body["spark"], self._lakehouse_params)
        return body

    def execute(self, context):
        self._lakehouse_params = dict(context["params"])
        try:
            return super().execute(context)
        except AirflowFailException:
            raise
        except Exception as e:
            if self._lakehouse_params.get("fail_fast"):
                raise AirflowFailException(f"{e} (fail_fast: not retried)") from e
            raise


MANIFEST = _load_manifest(MANIFEST_PATH)

with DAG(
    dag_id=DAG_ID,
    description="Ingest landing files into the lakehouse Iceberg tables (Spark Operator SparkApplication)",
    schedule=os.environ.get("LAKEHOUSE_INGEST_SCHEDULE", "@daily"),
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    is_paused_upon_creation=PAUSED_UPON_CREATION,
    # MERGE commits of two runs at once would only fight over the same Iceberg table.
    max_active_runs=1,
    params={
        "source": Param(
            manifest_argument(MANIFEST, "--source"),
            type="string",
            pattern=SOURCE_PATTERN,
            description="s3a://BUCKET/PREFIX/ the job reads (every file under it)",
        ),
        "table": Param(
            manifest_argument(MANIFEST, "--table"),
            type="string",
            pattern=TABLE_PATTERN,
            description="CATALOG.DB.TABLE the job merges into",
        ),
        "aggregate_table": Param(
            manifest_argument(MANIFEST, "--aggregate-table"),
            type="string",
            pattern=TABLE_PATTERN,
            description="CATALOG.DB.TABLE of the daily aggregate (same CATALOG.DB as table)",
        ),
        "labels": Param(
            {},
            type="object",
            propertyNames={"pattern": LABEL_KEY_PATTERN},
            additionalProperties={"type": "string", "pattern": LABEL_VALUE_PATTERN},
            description="extra labels on the SparkApplication and its pods",
        ),
        "fail_fast": Param(False, type="boolean", description="fail on the first error instead of retrying"),
    },
    default_args={
        "owner": "lakehouse",
        "retries": 2,
        "retry_delay": timedelta(minutes=5),
        "retry_exponential_backoff": True,
        "execution_timeout": timedelta(hours=2),
    },
    tags=["lakehouse", "spark", "iceberg"],
) as dag:
    LakehouseSparkKubernetesOperator(
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
