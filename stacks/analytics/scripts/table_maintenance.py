"""Scheduled maintenance of the lakehouse's Iceberg tables, through Trino's SQL.

For every Iceberg table of the catalog (or of SCHEMAS), in this order:
  1. guard: the table is skipped when the last reconcile after a metastore restore named it divergent or missing,
     or when its metadata folder in the bucket holds a metadata file at least as new as the one the catalog
     points to (the catalog is behind the bucket: a restore that was not reconciled). Nothing below may run on
     such a table: expire_snapshots on the catalog's older lineage, or remove_orphan_files, would delete files
     the newer commits still reference, and that loss is permanent.
  2. measure: files, bytes and snapshots of the table (before);
  3. compact: ALTER TABLE ... EXECUTE optimize (rewrites files below Trino's file_size_threshold, 100MB);
  4. expire: ALTER TABLE ... EXECUTE expire_snapshots(retention_threshold => '<RETENTION_DAYS>d');
  5. orphans: ALTER TABLE ... EXECUTE remove_orphan_files(retention_threshold => '<RETENTION_DAYS>d'), unless
     refused (below);
  6. measure again (after).
Orphan removal is refused for every table while the reconcile record the restore writes to the backup bucket
(<BACKUP_PREFIX>/reconcile/latest.json, stacks/foundation/scripts/reconcile.sh) is younger than the retention,
names a divergent table (`left`), says the reconcile did not finish (`error`), or cannot be read (fail closed). The outcome is one JSON line on stdout and
a set of gauges pushed to a Prometheus Pushgateway (PUT, so each run replaces the previous one).

Standard library only (any python:3 image): no pip install, nothing downloaded at start.

Env contract (the CronJob sets these; keys come from Secrets):
  TRINO_URL                      http://<coordinator Service>:8080
  TRINO_USER                     user the statements run as (default lakehouse-maintenance)
  TRINO_CATALOG                  Iceberg catalog (default iceberg)
  SCHEMAS                        comma-separated schemas to maintain; empty = every schema
  RETENTION_DAYS                 snapshots and orphan files older than this many days go (whole number >= 1)
  S3_ENDPOINT, AWS_REGION        the object store (path-style)
  BACKUP_BUCKET, BACKUP_PREFIX   where backup.sh writes dumps (and restore.sh its reconcile record)
  BACKUP_AWS_ACCESS_KEY_ID, BACKUP_AWS_SECRET_ACCESS_KEY       keys of the backup bucket
  WAREHOUSE_AWS_ACCESS_KEY_ID, WAREHOUSE_AWS_SECRET_ACCESS_KEY keys of the warehouse bucket (the guard lists
                                                               each table's metadata folder)
  PUSHGATEWAY_URL                http://<pushgateway Service>:9091; empty = do not push
  PUSH_JOB                       the job label of the pushed group (default lakehouse-table-maintenance)
Optional: QUERY_TIMEOUT_SECONDS (default 3600, per statement), MAINTENANCE_NOW (ISO-8601 UTC, tests only: the
time the record's age is measured against).

Flags: --dry-run (guards and measurements only: no ALTER TABLE, nothing pushed), --help.

Exit codes: 0 every table maintained or deliberately skipped (a refused orphan removal is not an error);
2 invalid environment; 3 the tables could not be listed (Trino unreachable or failing); 4 a step failed on at
least one table; 5 the metrics could not be pushed (everything else done).
"""
import datetime
import hashlib
import hmac
import json
import os
import re
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

HTTP_TIMEOUT = 60
EVENT = "table-maintenance"
# Why orphan removal can be refused; every reason is always pushed (0 or 1), so the series never go missing.
REFUSAL_REASONS = ("restore-reconciled", "divergent-tables", "reconcile-failed", "record-unreadable")
# Skips that need no operator: the table went away, or is not an Iceberg table.
BENIGN_SKIPS = ("dropped", "not-iceberg")
METADATA_FILE = re.compile(r"^(\d+)-[^/]*\.metadata\.json$")


class Fatal(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code = code


class TrinoError(Exception):
    def __init__(self, message, name=""):
        super().__init__(message)
        self.name = name


def say(msg):
    print(f"table_maintenance: {msg}", file=sys.stderr, flush=True)


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc)


def iso(t):
    return t.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(s):
    """ISO-8601 with Z or an offset (seconds and fractions optional); None when it is not one."""
    if not isinstance(s, str):
        return None
    try:
        t = datetime.datetime.fromisoformat(s.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=datetime.timezone.utc)


# ---------------------------------------------------------------------------------------------------- config


def load_env(env):
    def need(name):
        v = env.get(name, "").strip()
        if not v:
            raise Fatal(2, f"environment variable {name} is not set; the maintenance CronJob must set it (see the env contract at the top of table_maintenance.py).")
        return v

    days = env.get("RETENTION_DAYS", "").strip()
    if not re.fullmatch(r"[0-9]+", days) or int(days) < 1:
        raise Fatal(2, f"RETENTION_DAYS is '{days}'; expected a whole number of days >= 1 (config analytics.maintenance.retentionDays).")
    timeout = env.get("QUERY_TIMEOUT_SECONDS", "3600").strip()
    if not re.fullmatch(r"[0-9]+", timeout) or int(timeout) < 1:
        raise Fatal(2, f"QUERY_TIMEOUT_SECONDS is '{timeout}'; expected a whole number of seconds >= 1.")
    now = utcnow()
    if env.get("MAINTENANCE_NOW"):
        now = parse_time(env["MAINTENANCE_NOW"])
        if now is None:
            raise Fatal(2, f"MAINTENANCE_NOW is '{env['MAINTENANCE_NOW']}'; expected an ISO-8601 UTC time.")
    for name in ("TRINO_URL", "S3_ENDPOINT", "PUSHGATEWAY_URL"):
        v = env.get(name, "").strip()
        if v and not re.match(r"^https?://[^\s/]+", v):
            raise Fatal(2, f"{name} is '{v}'; expected an http:// or https:// URL.")
    return {
        "trino": need("TRINO_URL").rstrip("/"),
        "user": env.get("TRINO_USER", "").strip() or "lakehouse-maintenance",
        "catalog": env.get("TRINO_CATALOG", "").strip() or "iceberg",
        "schemas": [s.strip().lower() for s in env.get("SCHEMAS", "").split(",") if s.strip()],
        "days": int(days),
        "timeout": int(timeout),
        "now": now,
        "endpoint": need("S3_ENDPOINT").rstrip("/"),
        "region": need("AWS_REGION"),
        "backup_bucket": need("BACKUP_BUCKET"),
        "backup_prefix": env.get("BACKUP_PREFIX", "").strip().strip("/"),
        "backup_keys": (need("BACKUP_AWS_ACCESS_KEY_ID"), need("BACKUP_AWS_SECRET_ACCESS_KEY")),
        "warehouse_keys": (need("WAREHOUSE_AWS_ACCESS_KEY_ID"), need("WAREHOUSE_AWS_SECRET_ACCESS_KEY")),
        "pushgateway": env.get("PUSHGATEWAY_URL", "").strip().rstrip("/"),
        "push_job": env.get("PUSH_JOB", "").strip() or "lakehouse-table-maintenance",
    }


# ---------------------------------------------------------------------------------------------------- Trino


class Trino:
    """Trino's client protocol: POST /v1/statement, follow nextUri until it is gone."""

    def __init__(self, url, user, catalog, session, timeout):
        self.url, self.user, self.catalog, self.session, self.timeout = url, user, catalog, session, timeout

    def _call(self, method, url, body=None):
        headers = {
            "X-Trino-User": self.user,
            "X-Trino-Source": "lakehouse-table-maintenance",
            "X-Trino-Catalog": self.catalog,
        }
        if self.session:
            headers["X-Trino-Session"] = ",".join(f"{k}={v}" for k, v in self.session.items())
        for attempt in range(6):
            req = urllib.request.Request(url, data=body, method=method, headers=headers)
            try:
                with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as r:
                    return json.loads(r.read())
            except urllib.error.HTTPError as e:
                # 502/503/504: the coordinator is busy or restarting; the protocol says retry the same request.
                if e.code in (502, 503, 504) and attempt < 5:
                    time.sleep(1 + attempt)
                    continue
                raise TrinoError(f"Trino answered HTTP {e.code} to {method} {url}: {e.read()[:300]!r}") from e
            except (urllib.error.URLError, OSError) as e:
                raise TrinoError(f"Trino at {self.url} is unreachable: {getattr(e, 'reason', e)}", "UNREACHABLE") from e
        raise TrinoError(f"Trino kept answering 'busy' to {method} {url}")

    def query(self, sql):
        """(column names, rows) of one statement; raises TrinoError with Trino's message and error name."""
        deadline = time.monotonic() + self.timeout
        res = self._call("POST", f"{self.url}/v1/statement", sql.encode())
        columns, rows = [], []
        while True:
            if res.get("error"):
                err = res["error"]
                raise TrinoError(err.get("message", "query failed"), err.get("errorName", ""))
            columns = columns or [c["name"] for c in res.get("columns") or []]
            rows.extend(res.get("data") or [])
            nxt = res.get("nextUri")
            if not nxt:
                return columns, rows
            if time.monotonic() > deadline:
                try:
                    self._call("DELETE", nxt)
                except TrinoError:
                    pass  # abandoned either way; Trino also drops a query nobody polls
                raise TrinoError(f"statement exceeded QUERY_TIMEOUT_SECONDS ({self.timeout} s) and was cancelled: {sql[:120]}", "TIMEOUT")
            res = self._call("GET", nxt)


def ident(*parts):
    return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


# ---------------------------------------------------------------------------------------------------- S3 (SigV4)


class S3:
    """GET object and ListObjectsV2 on a path-style endpoint (Ceph RGW), signed with AWS Signature V4."""

    def __init__(self, endpoint, region, keys):
        self.endpoint, self.region, (self.access, self.secret) = endpoint, region, keys
        self.host = urllib.parse.urlsplit(endpoint).netloc

    def _get(self, bucket, key, query):
        path = "/" + urllib.parse.quote(bucket) + ("/" + urllib.parse.quote(key, safe="/~") if key else "")
        qs = "&".join(
            f"{urllib.parse.quote(k, safe='-_.~')}={urllib.parse.quote(v, safe='-_.~')}" for k, v in sorted(query.items())
        )
        now = utcnow()
        amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
        payload = hashlib.sha256(b"").hexdigest()
        headers = {"host": self.host, "x-amz-content-sha256": payload, "x-amz-date": amz}
        signed = ";".join(sorted(headers))
        canonical = "\n".join(
            ["GET", path, qs, "".join(f"{k}:{headers[k]}\n" for k in sorted(headers)), signed, payload]
        )
        scope = f"{day}/{self.region}/s3/aws4_request"
        to_sign = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canonical.encode()).hexdigest()])
        k = ("AWS4" + self.secret).encode()
        for part in (day, self.region, "s3", "aws4_request"):
            k = hmac.new(k, part.encode(), hashlib.sha256).digest()
        signature = hmac.new(k, to_sign.encode(), hashlib.sha256).hexdigest()
        auth = f"AWS4-HMAC-SHA256 Credential={self.access}/{scope}, SignedHeaders={signed}, Signature={signature}"
        req = urllib.request.Request(
            self.endpoint + path + (f"?{qs}" if qs else ""),
            headers={"x-amz-content-sha256": payload, "x-amz-date": amz, "Authorization": auth},
        )
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as r:
            return r.read()

    def get(self, bucket, key):
        """The object's bytes, or None when it does not exist (404)."""
        try:
            return self._get(bucket, key, {})
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return None
            raise

    def list(self, bucket, prefix):
        """Keys under prefix, every page."""
        keys, next_page = [], None
        while True:
            q = {"list-type": "2", "prefix": prefix}
            if next_page:
                q["continuation-token"] = next_page
            root = ET.fromstring(self._get(bucket, "", q))
            tag = lambda e: e.tag.rsplit("}", 1)[-1]  # noqa: E731 (namespace or not, RGW versions differ)
            next_page = None
            truncated = False
            for child in root:
                if tag(child) == "Contents":
                    keys.extend(c.text for c in child if tag(c) == "Key")
                elif tag(child) == "NextContinuationToken":
                    next_page = child.text
                elif tag(child) == "IsTruncated":
                    truncated = (child.text or "").lower() == "true"
            if not (truncated and next_page):
                return keys


def split_s3(uri):
    m = re.match(r"^s3[an]?://([^/]+)/(.*)$", uri or "")
    return (m.group(1), m.group(2)) if m else (None, None)


# ---------------------------------------------------------------------------------------------------- the guards


def read_record(cfg):
    """The last reconcile's record: ("absent", None, ""), ("ok", record, key) or ("unreadable", None, why)."""
    key = (cfg["backup_prefix"] + "/" if cfg["backup_prefix"] else "") + "reconcile/latest.json"
    where = f"s3://{cfg['backup_bucket']}/{key}"
    try:
        body = S3(cfg["endpoint"], cfg["region"], cfg["backup_keys"]).get(cfg["backup_bucket"], key)
    except (urllib.error.URLError, OSError) as e:
        return "unreadable", None, f"{where} could not be read: {getattr(e, 'code', '')} {getattr(e, 'reason', e)}".strip()
    if body is None:
        return "absent", None, where
    try:
        rec = json.loads(body)
    except ValueError as e:
        return "unreadable", None, f"{where} is not JSON ({e})"
    if not isinstance(rec, dict) or rec.get("event") != "reconcile" or parse_time(rec.get("time")) is None:
        return "unreadable", None, f"{where} is not a reconcile record (expected event \"reconcile\" and an ISO-8601 time)"
    for field in ("left", "missing"):
        if not isinstance(rec.get(field, []), list):
            return "unreadable", None, f"{where}: {field} is not a list"
    return "ok", rec, where


def record_tables(rec, field):
    """{"db.t": reason} of a record's list (entries are "db.t" or {"table": "db.t", "reason": ...})."""
    out = {}
    for e in rec.get(field) or []:
        name = e.get("table") if isinstance(e, dict) else e
        if isinstance(name, str) and name:
            out[name.lower()] = (e.get("reason") if isinstance(e, dict) else None) or field
    return out


def orphan_policy(state, rec, where, now, days):
    """Pure: (reasons orphan removal is refused for, human explanation)."""
    if state == "absent":
        return [], f"no reconcile record at {where}"
    if state == "unreadable":
        return ["record-unreadable"], where
    reasons, why = [], []
    t = parse_time(rec["time"])
    if now - t < datetime.timedelta(days=days):
        reasons.append("restore-reconciled")
        why.append(f"a restore was reconciled at {iso(t)}, within the {days}-day retention (refused until {iso(t + datetime.timedelta(days=days))})")
    left = record_tables(rec, "left")
    if left:
        reasons.append("divergent-tables")
        why.append("the last reconcile left divergent tables: " + ", ".join(sorted(left)))
    # `ok` is also false when tables were left or are missing (reconcile.sh); only a reconcile that did not run
    # through (an error, or ok:false with nothing to show for it) says nothing about the other tables.
    if rec.get("error") or (rec.get("ok") is False and not left and not record_tables(rec, "missing")):
        reasons.append("reconcile-failed")
        why.append(f"the last reconcile did not finish: {rec.get('error') or 'ok is false'}")
    return reasons, "; ".join(why) or f"the last reconcile ({iso(t)}) is older than the retention and left no divergent table"


def catalog_behind(trino, s3, catalog, schema, table):
    """Pure-ish: None when the catalog's pointer is the newest metadata file in the table's metadata folder,
    else a sentence naming the newer file. Raises on I/O errors (the caller skips the table: unverifiable)."""
    _, rows = trino.query(f"SELECT file FROM {ident(catalog, schema, table + '$metadata_log_entries')}")
    files = [r[0] for r in rows if r and isinstance(r[0], str)]
    versions = [(int(METADATA_FILE.match(f.rsplit("/", 1)[-1]).group(1)), f) for f in files if METADATA_FILE.match(f.rsplit("/", 1)[-1])]
    if not versions:
        raise TrinoError(f"{schema}.{table}: no metadata file in $metadata_log_entries")
    current_version, current = max(versions)
    bucket, key = split_s3(current)
    if not bucket:
        raise TrinoError(f"{schema}.{table}: metadata file {current} is not on S3")
    folder = key.rsplit("/", 1)[0] + "/"
    newer = []
    for k in s3.list(bucket, folder):
        name = k.rsplit("/", 1)[-1]
        m = METADATA_FILE.match(name)
        if m and "/" not in k[len(folder):] and int(m.group(1)) >= current_version and name != current.rsplit("/", 1)[-1]:
            newer.append(name)
    if not newer:
        return None
    return (
        f"the bucket holds {', '.join(sorted(newer))} beside the catalog's {current.rsplit('/', 1)[-1]}: the catalog is "
        "behind its files (a metastore restore that was not reconciled); run restore.sh's reconcile "
        "(docs/runbooks/foundation.md) before maintenance touches this table"
    )


# ---------------------------------------------------------------------------------------------------- the run


def list_tables(trino, cfg):
    _, rows = trino.query(
        f"SELECT table_schema, table_name FROM {ident(cfg['catalog'], 'information_schema', 'tables')} "
        "WHERE table_type = 'BASE TABLE' AND table_schema <> 'information_schema' ORDER BY 1, 2"
    )
    return [(s, t) for s, t in rows if not cfg["schemas"] or s.lower() in cfg["schemas"]]


def measure(trino, catalog, schema, table):
    _, files = trino.query(f"SELECT count(*), coalesce(sum(file_size_in_bytes), 0) FROM {ident(catalog, schema, table + '$files')}")
    _, snaps = trino.query(f"SELECT count(*) FROM {ident(catalog, schema, table + '$snapshots')}")
    return {"files": int(files[0][0]), "bytes": int(files[0][1]), "snapshots": int(snaps[0][0])}


def classify(e):
    """A skip reason for errors that mean the table is not ours to maintain, else None."""
    msg = str(e)
    if e.name == "TABLE_NOT_FOUND" or "does not exist" in msg:
        return "dropped"
    if e.name == "UNSUPPORTED_TABLE_TYPE" or "Not an Iceberg table" in msg:
        return "not-iceberg"
    return None


def step(trino, sql):
    """Runs one ALTER TABLE ... EXECUTE; a lost commit race (a writer committed meanwhile) is retried once."""
    for attempt in (1, 2):
        try:
            trino.query(sql)
            return
        except TrinoError as e:
            if attempt == 1 and e.name in ("ICEBERG_COMMIT_ERROR",):
                say(f"commit conflict, retrying once: {e}")
                continue
            raise


def maintain(trino, s3, cfg, schema, table, skips, orphans_refused, dry):
    name = f"{schema}.{table}"
    out = {"table": name, "status": "maintained", "steps": {}}
    q = ident(cfg["catalog"], schema, table)
    if name.lower() in skips:
        out.update(status="skipped", reason=skips[name.lower()][0], detail=skips[name.lower()][1])
    else:
        try:
            behind = catalog_behind(trino, s3, cfg["catalog"], schema, table)
        except TrinoError as e:
            benign = classify(e)
            out.update(status="skipped", reason=benign or "unverifiable", detail=str(e))
            return out
        except (urllib.error.URLError, OSError, ET.ParseError) as e:
            out.update(status="skipped", reason="unverifiable", detail=f"its metadata folder could not be listed: {getattr(e, 'reason', e)}")
            return out
        if behind:
            out.update(status="skipped", reason="catalog-behind-bucket", detail=behind)
    try:
        out["before"] = measure(trino, cfg["catalog"], schema, table)
    except TrinoError as e:
        if out["status"] == "skipped":
            return out
        benign = classify(e)
        out.update(status="skipped" if benign else "failed", reason=benign or "measure", detail=str(e))
        return out
    if out["status"] == "skipped":
        out["after"] = out["before"]
        return out
    retention = f"'{cfg['days']}d'"
    plan = [
        ("optimize", f"ALTER TABLE {q} EXECUTE optimize"),
        ("expireSnapshots", f"ALTER TABLE {q} EXECUTE expire_snapshots(retention_threshold => {retention})"),
        ("removeOrphanFiles", f"ALTER TABLE {q} EXECUTE remove_orphan_files(retention_threshold => {retention})"),
    ]
    for key, sql in plan:
        if key == "removeOrphanFiles" and orphans_refused:
            out["steps"][key] = "refused"
            continue
        if dry:
            out["steps"][key] = "dry-run"
            continue
        t0 = time.monotonic()
        try:
            step(trino, sql)
        except TrinoError as e:
            benign = classify(e)
            out["steps"][key] = "failed"
            out.update(status="skipped" if benign else "failed", reason=benign or key, detail=str(e))
            return out
        out["steps"][key] = "done"
        out.setdefault("seconds", {})[key] = round(time.monotonic() - t0, 1)
    try:
        out["after"] = measure(trino, cfg["catalog"], schema, table)
    except TrinoError as e:
        out.update(status="failed", reason="measure", detail=str(e))
    return out


def metrics_text(result, tables):
    """The Prometheus text exposition of a run. Pure."""
    lines = []

    def family(name, help_, samples):
        lines.append(f"# HELP {name} {help_}")
        lines.append(f"# TYPE {name} gauge")
        for labels, value in samples:
            lab = ",".join(f'{k}="{str(v).replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"' for k, v in labels.items())
            lines.append(f"{name}{{{lab}}} {value}" if lab else f"{name} {value}")

    family("lakehouse_table_maintenance_last_run_timestamp_seconds", "End of the last maintenance run (Unix time).", [({}, result["_end"])])
    family("lakehouse_table_maintenance_success", "1 when every table was maintained or deliberately skipped.", [({}, 1 if result["ok"] else 0)])
    family("lakehouse_table_maintenance_duration_seconds", "Wall time of the last run.", [({}, result["seconds"])])
    family(
        "lakehouse_table_maintenance_orphan_removal_refused",
        "1 when the last run refused orphan removal for this reason.",
        [({"reason": r}, 1 if r in result["orphanRemoval"]["reasons"] else 0) for r in REFUSAL_REASONS],
    )
    family(
        "lakehouse_table_maintenance_tables",
        "Tables by outcome of the last run.",
        [({"status": s}, sum(1 for t in tables if t["status"] == s)) for s in ("maintained", "skipped", "failed")],
    )
    family(
        "lakehouse_table_maintenance_table_status",
        "1 per table: its outcome in the last run and why (reason empty when maintained).",
        [({"schema": t["table"].split(".", 1)[0], "table": t["table"].split(".", 1)[1], "status": t["status"], "reason": t.get("reason", "")}, 1) for t in tables],
    )
    for metric, field, help_ in (
        ("lakehouse_iceberg_table_files", "files", "Data and delete files of the table's current snapshot."),
        ("lakehouse_iceberg_table_bytes", "bytes", "Bytes of those files."),
        ("lakehouse_iceberg_table_snapshots", "snapshots", "Snapshots the table's metadata keeps."),
    ):
        samples = []
        for t in tables:
            s, n = t["table"].split(".", 1)
            for point in ("before", "after"):
                if point in t:
                    samples.append(({"schema": s, "table": n, "point": point}, t[point][field]))
        family(metric, f"{help_} point=before|after the last run.", samples)
    return "\n".join(lines) + "\n"


def push(cfg, text):
    url = f"{cfg['pushgateway']}/metrics/job/{urllib.parse.quote(cfg['push_job'], safe='')}"
    req = urllib.request.Request(url, data=text.encode(), method="PUT", headers={"Content-Type": "text/plain; version=0.0.4"})
    try:
        with urllib.request.urlopen(req, timeout=HTTP_TIMEOUT) as r:
            return r.status
    except urllib.error.HTTPError as e:
        raise Fatal(5, f"the Pushgateway at {cfg['pushgateway']} refused the metrics: HTTP {e.code} {e.read()[:300]!r}") from e
    except (urllib.error.URLError, OSError) as e:
        raise Fatal(5, f"the Pushgateway at {cfg['pushgateway']} is unreachable: {getattr(e, 'reason', e)}; the alerts will call the maintenance stale") from e


def run(cfg, dry):
    t0 = time.monotonic()
    result = {"event": EVENT, "ok": True, "time": iso(cfg["now"]), "dryRun": dry, "retentionDays": cfg["days"]}
    state, rec, where = read_record(cfg)
    reasons, why = orphan_policy(state, rec, where, cfg["now"], cfg["days"])
    result["orphanRemoval"] = {"allowed": not reasons, "reasons": reasons, "why": why}
    say(("orphan removal REFUSED: " if reasons else "orphan removal allowed: ") + why)
    skips = {}
    if rec:
        for field, reason in (("left", "divergent-after-restore"), ("missing", "missing-after-restore")):
            for t, r in record_tables(rec, field).items():
                skips[t] = (reason, f"the last reconcile ({rec.get('time')}) reported it {field}: {r}")
    session = {
        # Trino refuses retentions below these (default 7d); the retention is validated at config parse instead.
        f"{cfg['catalog']}.expire_snapshots_min_retention": f"{cfg['days']}d",
        f"{cfg['catalog']}.remove_orphan_files_min_retention": f"{cfg['days']}d",
    }
    trino = Trino(cfg["trino"], cfg["user"], cfg["catalog"], session, cfg["timeout"])
    s3 = S3(cfg["endpoint"], cfg["region"], cfg["warehouse_keys"])
    tables, code = [], 0
    try:
        names = list_tables(trino, cfg)
    except TrinoError as e:
        result.update(ok=False, error=f"could not list the tables of catalog {cfg['catalog']}: {e}")
        code = 3
        names = []
    for schema, table in names:
        say(f"{schema}.{table}: start")
        t = maintain(trino, s3, cfg, schema, table, skips, bool(reasons), dry)
        say(f"{schema}.{table}: {t['status']}" + (f" ({t.get('reason')}: {t.get('detail')})" if t.get("reason") else ""))
        tables.append(t)
    if any(t["status"] == "failed" for t in tables):
        result["ok"] = False
        code = code or 4
    result["tables"] = tables
    result["seconds"] = round(time.monotonic() - t0, 1)
    result["_end"] = round(time.time(), 3)
    text = metrics_text(result, tables)
    result["pushed"] = False
    if cfg["pushgateway"] and not dry:
        try:
            push(cfg, text)
            result["pushed"] = True
        except Fatal as e:
            say(f"ERROR: {e}")
            result["pushError"] = str(e)
            code = code or e.code
    del result["_end"]
    return code, result


def main(argv):
    if "--help" in argv or "-h" in argv:
        print(__doc__)
        return 0
    unknown = [a for a in argv if a not in ("--dry-run",)]
    if unknown:
        say(f"ERROR: unknown argument(s) {' '.join(unknown)}; expected --dry-run or --help.")
        return 2
    try:
        cfg = load_env(os.environ)
    except Fatal as e:
        say(f"ERROR: {e}")
        return e.code
    code, result = run(cfg, "--dry-run" in argv)
    print(json.dumps(result), flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
