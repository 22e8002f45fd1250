#!/usr/bin/env bash
# Apache Airflow for the DAG's real test (dags/lakehouse_ingest.py): one venv per Airflow line homelabs run,
# each with the cncf.kubernetes provider whose SparkKubernetesOperator the DAG uses:
#   - the current Airflow 3 line: apache-airflow 3.3.2 + apache-airflow-providers-cncf-kubernetes 10.25.0
#   - Airflow 2.10.5 (the last 2.x) + apache-airflow-providers-cncf-kubernetes 10.10.0
# No constraint files (they are not on a package registry); these pins resolved and imported here.
# Idempotent: a venv is kept while both packages are at their pins. Cold: ~35-60 s and ~400 MB per venv.
set -euo pipefail
CACHE=${LAKEHOUSE_CACHE:-$HOME/.cache/lakehouse}
PY="${PYTHON:-python3}"

install_airflow() {
  local airflow=$1 provider=$2
  local venv="$CACHE/airflow-$airflow"
  if [ -x "$venv/bin/python" ] && "$venv/bin/python" - "$airflow" "$provider" <<'PYCHECK' 2>/dev/null; then
import importlib.metadata as m, sys
if m.version("apache-airflow") != sys.argv[1] or m.version("apache-airflow-providers-cncf-kubernetes") != sys.argv[2]:
    raise SystemExit(1)
PYCHECK
    echo "airflow: $venv already has apache-airflow $airflow + cncf.kubernetes $provider"
    return
  fi
  rm -rf "$venv"
  "$PY" -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "apache-airflow==$airflow" "apache-airflow-providers-cncf-kubernetes==$provider"
  echo "airflow: installed apache-airflow $airflow + cncf.kubernetes $provider in $venv"
}

install_airflow 3.3.2 10.25.0
install_airflow 2.10.5 10.10.0
