#!/usr/bin/env python3
"""The storage side of a sample-job run (`verify.sample-job`, and the ingest driver of `verify.end-to-end`):
put the generated landing file into the warehouse bucket, read the job's table back through the catalog, and
remove the run's scratch objects. Run as a short Job in the cluster (the S3 endpoint and the Hive Metastore are
reachable only there) with the verification's python image; the SparkApplication in between is submitted by the
verification itself.

  sample_job_io.py stage     copy LOCAL_FILE to s3://S3_BUCKET/LANDING_KEY
  sample_job_io.py inspect   through the Hive catalog: TABLE exists, its current snapshot, the snapshot summary's
                             total-records, the rows a full scan returns; AGGREGATE_TABLE's rows
  sample_job_io.py cleanup   purge TABLES (comma-separated db.table, may be empty) and delete every object under
                             s3://S3_BUCKET/LANDING_PREFIX (must name a run's own prefix: at least 3 path parts)

Env: S3_ENDPOINT S3_BUCKET AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION; METASTORE_URI (thrift://...) for
inspect and for cleanup with TABLES; LOCAL_FILE LANDING_KEY (stage); TABLE AGGREGATE_TABLE (inspect);
TABLES LANDING_PREFIX (cleanup). AWS_REQUEST_CHECKSUM_CALCULATION=when_required is set when absent (Ceph RGW
before Reef answers the flexible-checksum uploads of recent AWS SDKs with HTTP 411).

Prints progress on stderr and exactly one JSON line on stdout, {"event": "sample-job-<mode>", "ok": ..., ...}.
Exit codes: 0 done; 3 the step failed (the JSON says why); 2 bad configuration. Secrets are never printed.
"""
import json
import os
import sys
import time
import traceback
from urllib.parse import urlparse

os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
os.environ.setdefault("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")

MODES = ("stage", "inspect", "cleanup")
NEEDS = {
    "stage": ("LOCAL_FILE", "LANDING_KEY"),
    "inspect": ("METASTORE_URI", "TABLE", "AGGREGATE_TABLE"),
    "cleanup": ("LANDING_PREFIX",),
}


def log(msg):
    print(f"sample_job_io.py: {msg}", file=sys.stderr, flush=True)


def emit(result, code):
    print(json.dumps(result, separators=(",", ":")), flush=True)
    sys.exit(code)


class ConfigError(ValueError):
    pass


def config_from_env(mode, env):
    """The settings of `mode`. Pure: raises ConfigError naming the variable on bad input."""
    if mode not in MODES:
        raise ConfigError(f"mode is '{mode}'; expected one of {', '.join(MODES)}.")
    required = ("S3_ENDPOINT", "S3_BUCKET", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY") + NEEDS[mode]
    missing = [v for v in required if not env.get(v)]
    if mode == "cleanup" and env.get("TABLES") and not env.get("METASTORE_URI"):
        missing.append("METASTORE_URI")
    if missing:
        raise ConfigError(f"environment variable(s) {', '.join(missing)} not set; the verification Job must set them.")
    endpoint = urlparse(env["S3_ENDPOINT"])
    if endpoint.scheme not in ("http", "https") or not endpoint.netloc:
        raise ConfigError(f"S3_ENDPOINT is '{env['S3_ENDPOINT']}'; expected http(s)://HOST[:PORT].")
    uri = env.get("METASTORE_URI", "")
    if uri and not uri.startswith("thrift://"):
        raise ConfigError(f"METASTORE_URI is '{uri}'; expected thrift://HOST:PORT.")
    tables = [t for t in (env.get("TABLES") or "").split(",") if t.strip()]
    for name in tables + [env.get("TABLE", ""), env.get("AGGREGATE_TABLE", "")]:
        if name and len(name.strip().split(".")) != 2:
            raise ConfigError(f"table '{name}' is not DATABASE.TABLE.")
    prefix = env.get("LANDING_PREFIX", "")
    if mode == "cleanup" and (not prefix.endswith("/") or len([p for p in prefix.split("/") if p]) < 3):
        # A run's own prefix, e.g. landing/events/_verify/<run>/: never the landing prefix itself.
        raise ConfigError(f"LANDING_PREFIX is '{prefix}'; expected a run's own prefix like landing/events/_verify/RUN/.")
    return {
        "mode": mode,
        "endpoint": env["S3_ENDPOINT"].rstrip("/"),
        "scheme": endpoint.scheme,
        "host": endpoint.netloc,
        "bucket": env["S3_BUCKET"],
        "access_key": env["AWS_ACCESS_KEY_ID"],
        "secret_key": env["AWS_SECRET_ACCESS_KEY"],
        "region": env.get("AWS_REGION") or "us-east-1",
        "metastore": uri,
        "local_file": env.get("LOCAL_FILE", ""),
        "landing_key": env.get("LANDING_KEY", "").lstrip("/"),
        "table": env.get("TABLE", "").strip(),
        "aggregate_table": env.get("AGGREGATE_TABLE", "").strip(),
        "tables": [t.strip() for t in tables],
        "landing_prefix": prefix.lstrip("/"),
    }


def filesystem(cfg):
    from pyarrow import fs

    # Path-style addressing (pyarrow's default): in-cluster RGW Services are not wildcard DNS names.
    return fs.S3FileSystem(
        access_key=cfg["access_key"],
        secret_key=cfg["secret_key"],
        endpoint_override=cfg["host"],
        scheme=cfg["scheme"],
        region=cfg["region"],
        request_timeout=30,
        connect_timeout=10,
    )


def catalog(cfg):
    from pyiceberg.catalog.hive import HiveCatalog

    return HiveCatalog(
        "lakehouse",
        uri=cfg["metastore"],
        **{
            "s3.endpoint": cfg["endpoint"],
            "s3.access-key-id": cfg["access_key"],
            "s3.secret-access-key": cfg["secret_key"],
            "s3.region": cfg["region"],
            "s3.force-virtual-addressing": "false",
        },
    )


def stage(cfg):
    with open(cfg["local_file"], "rb") as f:
        body = f.read()
    s3 = filesystem(cfg)
    path = f"{cfg['bucket']}/{cfg['landing_key']}"
    with s3.open_output_stream(path) as out:
        out.write(body)
    size = s3.get_file_info(path).size
    if size != len(body):
        raise AssertionError(f"s3://{path} has {size} bytes after the upload, expected {len(body)}")
    lines = body.decode("utf-8").strip().split("\n")
    log(f"wrote {len(body)} bytes ({len(lines) - 1} records) to s3://{path}")
    return {"key": cfg["landing_key"], "uri": f"s3a://{path}", "bytes": len(body), "records": len(lines) - 1}


def read_table(cat, name):
    from pyiceberg.exceptions import NoSuchTableError

    try:
        table = cat.load_table(name)
    except NoSuchTableError:
        return {"name": name, "exists": False}
    snap = table.current_snapshot()
    summary = dict(snap.summary.additional_properties) if snap and snap.summary else {}
    total = summary.get("total-records")
    rows = table.scan().to_arrow().num_rows
    return {
        "name": name,
        "exists": True,
        "rows": rows,
        "snapshotId": str(snap.snapshot_id) if snap else None,
        "snapshots": len(table.snapshots()),
        "totalRecords": int(total) if total is not None else None,
        "operation": str(snap.summary.operation.value) if snap and snap.summary else None,
        "location": table.metadata.location,
    }


def inspect(cfg):
    cat = catalog(cfg)
    out = {"table": read_table(cat, cfg["table"]), "aggregate": read_table(cat, cfg["aggregate_table"])}
    t = out["table"]
    log(
        f"{cfg['table']}: "
        + (f"{t['rows']} rows, snapshot {t['snapshotId']}, total-records {t['totalRecords']}" if t["exists"] else "missing")
    )
    return out


def purge(cfg, cat, name):
    from pyiceberg.catalog import MetastoreCatalog
    from pyiceberg.exceptions import NoSuchTableError

    try:
        table = cat.load_table(name)
    except NoSuchTableError:
        return "absent"
    location = table.metadata_location
    try:
        cat.purge_table(name)
    except NotImplementedError:
        # pyiceberg's HiveCatalog has no purge_table (0.11); the generic drop-then-delete-files one works.
        MetastoreCatalog.purge_table(cat, name)
    if table.io.new_input(location).exists():
        raise AssertionError(f"metadata file {location} of {name} still exists after the purge")
    # The purge deletes the files but Arrow leaves empty "directory" markers (data/, metadata/, partitions):
    # remove the table's own folder, only when it is in our bucket and named after the table.
    folder = urlparse(table.metadata.location)
    short = name.split(".")[-1]
    if folder.scheme in ("s3", "s3a") and folder.netloc == cfg["bucket"] and folder.path.rstrip("/").endswith(f"/{short}"):
        from pyarrow import fs

        s3 = filesystem(cfg)
        root = f"{folder.netloc}{folder.path.rstrip('/')}"
        if s3.get_file_info(root).type != fs.FileType.NotFound:
            s3.delete_dir(root)
    return "purged"


def cleanup(cfg):
    from pyarrow import fs

    errors = []
    tables = {}
    if cfg["tables"]:
        try:
            cat = catalog(cfg)
        except Exception as e:  # noqa: BLE001 - reported, the landing objects are still removed
            errors.append(f"catalog: {type(e).__name__}: {e}")
            cat = None
        for name in cfg["tables"] if cat else []:
            try:
                tables[name] = purge(cfg, cat, name)
                log(f"{name}: {tables[name]}")
            except Exception as e:  # noqa: BLE001
                tables[name] = "left"
                errors.append(f"{name}: {type(e).__name__}: {e}"[:400])
    s3 = filesystem(cfg)
    root = f"{cfg['bucket']}/{cfg['landing_prefix']}".rstrip("/")
    deleted = 0
    try:
        selector = fs.FileSelector(root, recursive=True, allow_not_found=True)
        deleted = sum(1 for i in s3.get_file_info(selector) if i.type == fs.FileType.File)
        if s3.get_file_info(root).type != fs.FileType.NotFound:
            # delete_dir, not delete_file per object: Arrow leaves an empty "directory" marker object behind a
            # deleted file so that its folder keeps existing. (It may leave one for the parent `_verify/`,
            # shared by every run and skipped by Spark like the folder itself.)
            s3.delete_dir(root)
        left = [i.path for i in s3.get_file_info(selector)]
        if left or s3.get_file_info(root).type != fs.FileType.NotFound:
            errors.append(f"objects left under s3://{root}/: {', '.join(left[:5]) or root + '/'}")
    except Exception as e:  # noqa: BLE001
        errors.append(f"s3://{root}/: {type(e).__name__}: {e}"[:400])
    log(f"deleted {deleted} object(s) under s3://{root}/")
    return {"tables": tables, "deletedObjects": deleted, "errors": errors}


def main(argv):
    mode = argv[1] if len(argv) > 1 else ""
    event = f"sample-job-{mode or 'io'}"
    try:
        cfg = config_from_env(mode, os.environ)
    except ConfigError as e:
        emit({"event": event, "ok": False, "error": f"configuration: {e}"}, 2)
    t0 = time.monotonic()
    try:
        result = {"stage": stage, "inspect": inspect, "cleanup": cleanup}[mode](cfg)
    except Exception as e:  # noqa: BLE001 - every failure is one JSON line naming it
        traceback.print_exc(file=sys.stderr)
        emit({"event": event, "ok": False, "error": f"{type(e).__name__}: {e}"[:600], "ms": int((time.monotonic() - t0) * 1000)}, 3)
    ok = not result.get("errors")
    emit({"event": event, "ok": ok, **result, "ms": int((time.monotonic() - t0) * 1000)}, 0 if ok else 3)


if __name__ == "__main__":
    main(sys.argv)
