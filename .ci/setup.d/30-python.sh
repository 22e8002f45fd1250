#!/usr/bin/env bash
# Python packages for the foundation scripts' tests (verify/foundation/scripts/*.py, backup.sh/restore.sh):
# pyiceberg with the SQL (sqlite) and Hive (Thrift) catalogs, pyarrow for append/scan, and the AWS CLI that
# backup.sh/restore.sh use. Pinned so the tests exercise the same versions the verification Jobs' image pins.
# Idempotent: pip skips what is already installed at the pinned version.
set -euo pipefail
PY="${PYTHON:-python3}"
pkgs=(
  "pyiceberg[sql-sqlite,hive]==0.11.0"
  "pyarrow==21.0.0"
  "awscli==1.45.11"
)
if "$PY" - <<'PYCHECK' 2>/dev/null; then
import importlib.metadata as m
want = {"pyiceberg": "0.11.0", "pyarrow": "21.0.0", "awscli": "1.45.11", "thrift": None, "sqlalchemy": None}
for name, ver in want.items():
    got = m.version(name)
    if ver and got != ver:
        raise SystemExit(1)
PYCHECK
  echo "python: pyiceberg, pyarrow, awscli already at their pins"
else
  "$PY" -m pip install --quiet --disable-pip-version-check "${pkgs[@]}"
fi
"$PY" -c 'import pyiceberg, pyarrow, thrift, sqlalchemy; print("python: pyiceberg", pyiceberg.__version__, "pyarrow", pyarrow.__version__)'
command -v aws >/dev/null && aws --version
