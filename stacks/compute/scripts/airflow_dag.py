"""Asks Airflow's REST API whether a DAG is loaded and has no import error; prints one JSON line.

Run by `verify.airflow-dag` as a Job in the Airflow namespace: the API is reached at its Service from inside the
cluster, and the credentials come from a Secret as env (AIRFLOW_USERNAME / AIRFLOW_PASSWORD) and are never
printed. Standard library only (any python:3 image).

Env: AIRFLOW_URL (http://svc:port), AIRFLOW_API (v1 | v2), DAG_ID, AIRFLOW_USERNAME, AIRFLOW_PASSWORD.
"""
import base64
import json
import os
import sys
import urllib.error
import urllib.request

TIMEOUT = 20


def call(method, url, headers, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Accept": "application/json", **headers})
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        try:
            payload = json.loads(e.read() or b"null")
        except ValueError:
            payload = None
        return e.code, payload


def main():
    out = {"event": "airflow-dag", "api": os.environ.get("AIRFLOW_API", "v2")}
    base = os.environ["AIRFLOW_URL"].rstrip("/")
    user, password = os.environ.get("AIRFLOW_USERNAME", ""), os.environ.get("AIRFLOW_PASSWORD", "")
    dag_id = os.environ.get("DAG_ID", "lakehouse_ingest")
    try:
        if out["api"] == "v2":
            status, body = call("POST", f"{base}/auth/token", {}, {"username": user, "password": password})
            if status in (401, 403):
                out.update(stage="auth", status=status)
                return out
            if status >= 300 or not isinstance(body, dict) or "access_token" not in body:
                out.update(stage="token", status=status)
                return out
            auth = {"Authorization": f"Bearer {body['access_token']}"}
        else:
            auth = {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
        status, dag = call("GET", f"{base}/api/{out['api']}/dags/{dag_id}", auth)
        if status in (401, 403):
            out.update(stage="auth", status=status)
            return out
        if status not in (200, 404):
            out.update(stage="dag", status=status)
            return out
        estatus, errors = call("GET", f"{base}/api/{out['api']}/importErrors?limit=100", auth)
        if estatus != 200:
            out.update(stage="import-errors", status=estatus)
            return out
        out.update(
            stage="done",
            status=200,
            dag={"found": status == 200, "is_paused": (dag or {}).get("is_paused"), "fileloc": (dag or {}).get("fileloc")},
            import_errors=[
                {"filename": e.get("filename", "?"), "error": (e.get("stack_trace") or "")[-2000:]}
                for e in (errors or {}).get("import_errors", [])
            ],
        )
    except (OSError, urllib.error.URLError) as e:
        out.update(stage="connect", error=str(getattr(e, "reason", e)))
    return out


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
    sys.exit(0)
