"""Asks Airflow's REST API whether a DAG is loaded and has no import error and, when asked to, triggers one run of
it and waits for that run; prints one JSON line.

Run by `verify.airflow-dag` as a Job in the Airflow namespace: the API is reached at its Service from inside the
cluster, and the credentials come from a Secret as env (AIRFLOW_USERNAME / AIRFLOW_PASSWORD) and are never
printed. Standard library only (any python:3 image).

Env: AIRFLOW_URL (http://svc:port), AIRFLOW_API (v1 | v2), DAG_ID, AIRFLOW_USERNAME, AIRFLOW_PASSWORD.
Triggering (optional): TRIGGER_RUN_ID (the DAG run id to create; unset = only look), TRIGGER_CONF (the run's
conf, a JSON object), WAIT_SECONDS (how long to wait for the run to end, default 600), POLL_SECONDS (default 5).

A run is triggered only when the DAG is loaded, unpaused (a paused DAG's runs stay queued) and has no import
error. The wait ends when the run is success or failed; when a task waits to retry (the answer is known) or at
WAIT_SECONDS, the run is marked failed through the API so that it does not go on writing to the scratch tables
the clean-up removes, and the output says so. Every request has a timeout.

Output: {"event": "airflow-dag", "api", "stage", "status", "dag": {found, is_paused, fileloc},
"import_errors": [...], "run": {...}} with "run" only when triggering: {"dag_run_id", "triggered",
"reason" (when not triggered), "status"/"detail" (a refused trigger), "state", "timed_out", "marked_failed",
"waited_s", "tasks": [{"task_id", "state", "try_number"}], "failed_task", "log_tail"}.
"""
import ast
import base64
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

TIMEOUT = 20
FINAL_RUN_STATES = ("success", "failed")
FAILED_TASK_STATES = ("failed", "up_for_retry", "upstream_failed")
LOG_LINES = 40
LOG_CHARS = 4000


def call(method, url, headers, body=None, accept="application/json"):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method, headers={"Accept": accept, **headers})
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


def detail(payload):
    """The error text of an API answer (Airflow 2: title/detail; Airflow 3: detail, maybe a list), bounded."""
    if isinstance(payload, dict):
        d = payload.get("detail", payload.get("title", payload))
    else:
        d = payload
    text = d if isinstance(d, str) else json.dumps(d)
    # The first line says it ("Invalid input for param table: ..."); the JSON-schema dump after it does not.
    first = next((line for line in text.splitlines() if line.strip()), "")
    return first[:600]


def log_text(payload):
    """A task log answer as plain text: Airflow 3 returns structured records, Airflow 2 one string."""
    content = payload.get("content") if isinstance(payload, dict) else payload
    if isinstance(content, str) and content.startswith("[("):
        # Airflow 2.10: the repr of a list of (host, text) pairs.
        try:
            pairs = ast.literal_eval(content)
            content = "\n".join(str(p[1]) for p in pairs if isinstance(p, tuple) and len(p) > 1)
        except (ValueError, SyntaxError):
            pass
    if isinstance(content, list):
        lines = []
        for rec in content:
            if isinstance(rec, dict):
                lines.append(" ".join(str(rec.get(k)) for k in ("level", "event") if rec.get(k) is not None))
                # An exception is a list of {exc_type, exc_value, ...} beside the message.
                for err in rec.get("error_detail") or []:
                    if isinstance(err, dict):
                        lines.append(f"{err.get('exc_type', 'Error')}: {err.get('exc_value', '')}")
            else:
                lines.append(str(rec))
        return "\n".join(lines)
    return str(content or "")


def tail(text):
    lines = [line for line in text.splitlines() if line.strip()][-LOG_LINES:]
    return "\n".join(lines)[-LOG_CHARS:]


class Api:
    def __init__(self, base, api, auth):
        self.root = f"{base}/api/{api}"
        self.api = api
        self.auth = auth

    def get(self, path, **kw):
        return call("GET", f"{self.root}{path}", self.auth, **kw)

    def send(self, method, path, body):
        return call(method, f"{self.root}{path}", self.auth, body)


def trigger(api, dag_id, run_id, conf, wait_s, poll_s):
    """Creates the run, waits for it (bounded), reports its state, its tasks and the failed task's log tail."""
    q = urllib.parse.quote
    run_path = f"/dags/{q(dag_id)}/dagRuns/{q(run_id)}"
    body = {"dag_run_id": run_id, "conf": conf, "note": "verify.airflow-dag: one run on scratch data"}
    if api.api == "v2":
        body["logical_date"] = None  # Airflow 3: a run with no data interval, like a manual trigger.
    status, answer = api.send("POST", f"/dags/{q(dag_id)}/dagRuns", body)
    if status not in (200, 201):
        return {"dag_run_id": run_id, "triggered": False, "status": status, "detail": detail(answer)}
    out = {"dag_run_id": run_id, "triggered": True, "state": (answer or {}).get("state"), "timed_out": False}
    t0 = time.monotonic()
    tasks = []
    while True:
        try:
            status, run = api.get(run_path)
            if status == 200 and isinstance(run, dict):
                out["state"] = run.get("state")
            tstatus, tis = api.get(f"{run_path}/taskInstances")
            if tstatus == 200 and isinstance(tis, dict):
                tasks = [
                    {"task_id": t.get("task_id"), "state": t.get("state"), "try_number": t.get("try_number")}
                    for t in tis.get("task_instances", [])
                ]
        except (OSError, urllib.error.URLError) as e:
            # The run exists: a passing network error must not lose it; the deadline still bounds the wait.
            out["last_error"] = str(getattr(e, "reason", e))[:300]
        if out["state"] in FINAL_RUN_STATES:
            break
        retrying = any(t["state"] == "up_for_retry" for t in tasks)
        out["timed_out"] = not retrying and time.monotonic() - t0 >= wait_s
        if retrying or out["timed_out"]:
            # Stop it: a verification run left running (or retrying later) would write to the scratch tables
            # the clean-up is about to remove. A task waiting to retry already gave the answer.
            try:
                mstatus, _ = api.send("PATCH", run_path, {"state": "failed"})
            except (OSError, urllib.error.URLError):
                mstatus = 0
            out["marked_failed"] = mstatus == 200
            break
        time.sleep(poll_s)
    out["waited_s"] = round(time.monotonic() - t0, 1)
    out["tasks"] = tasks
    failed = next((t for t in tasks if t["state"] in FAILED_TASK_STATES), None)
    if failed:
        out["failed_task"] = failed["task_id"]
        try_number = failed.get("try_number") or 1
        try:
            lstatus, log = api.get(
                f"{run_path}/taskInstances/{q(failed['task_id'])}/logs/{try_number}?full_content=true"
            )
            out["log_tail"] = tail(log_text(log)) if lstatus == 200 else f"log unavailable: HTTP {lstatus}"
        except (OSError, urllib.error.URLError) as e:
            out["log_tail"] = f"log unavailable: {getattr(e, 'reason', e)}"
    return out


def main():
    out = {"event": "airflow-dag", "api": os.environ.get("AIRFLOW_API", "v2")}
    base = os.environ["AIRFLOW_URL"].rstrip("/")
    user, password = os.environ.get("AIRFLOW_USERNAME", ""), os.environ.get("AIRFLOW_PASSWORD", "")
    dag_id = os.environ.get("DAG_ID", "lakehouse_ingest")
    run_id = os.environ.get("TRIGGER_RUN_ID", "")
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
        api = Api(base, out["api"], auth)
        status, dag = api.get(f"/dags/{urllib.parse.quote(dag_id)}")
        if status in (401, 403):
            out.update(stage="auth", status=status)
            return out
        if status not in (200, 404):
            out.update(stage="dag", status=status)
            return out
        estatus, errors = api.get("/importErrors?limit=100")
        if estatus != 200:
            out.update(stage="import-errors", status=estatus)
            return out
        found = status == 200
        is_paused = (dag or {}).get("is_paused") if found else None
        import_errors = [
            {"filename": e.get("filename", "?"), "error": (e.get("stack_trace") or "")[-2000:]}
            for e in (errors or {}).get("import_errors", [])
        ]
        out.update(
            stage="done",
            status=200,
            dag={"found": found, "is_paused": is_paused, "fileloc": (dag or {}).get("fileloc")},
            import_errors=import_errors,
        )
        if run_id:
            mine = [e for e in import_errors if e["filename"].endswith(f"{dag_id}.py")]
            if not found or is_paused is not False or mine:
                reason = "not loaded" if not found else "paused" if is_paused is not False else "import error"
                out["run"] = {"dag_run_id": run_id, "triggered": False, "reason": reason}
            else:
                conf = json.loads(os.environ.get("TRIGGER_CONF") or "{}")
                wait_s = float(os.environ.get("WAIT_SECONDS") or 600)
                poll_s = float(os.environ.get("POLL_SECONDS") or 5)
                out["run"] = trigger(api, dag_id, run_id, conf, wait_s, poll_s)
    except (OSError, urllib.error.URLError) as e:
        out.update(stage="connect", error=str(getattr(e, "reason", e)))
    return out


if __name__ == "__main__":
    print(json.dumps(main()), flush=True)
    sys.exit(0)
