#!/usr/bin/env python3
"""The Iceberg round trip of `verify.iceberg-roundtrip`: through the catalog, create a scratch namespace and
table in the warehouse, append rows twice (two snapshots), read them back (all rows, a filtered scan, and a scan
as of the first snapshot: what time travel needs), then drop and purge the scratch objects.

The catalog type is configuration, so the same code path runs in the verification Job against the Hive
Metastore (`type=hive`, thrift://...) and in the tests against a SQL catalog (sqlite/PostgreSQL):

  ICEBERG_CATALOG_TYPE   hive | sql                                  (default hive)
  ICEBERG_CATALOG_URI    thrift://hive-metastore.lakehouse.svc:9083 or sqlite:////tmp/c.db, postgresql+psycopg2://...
  ICEBERG_WAREHOUSE      s3://BUCKET/warehouse                      (where the scratch table's files go)
  S3_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
  VERIFY_NAMESPACE       scratch namespace (default lakehouse_verify_<time>_<random>); must not exist
  AWS_REQUEST_CHECKSUM_CALCULATION=when_required   (set here if absent: Ceph RGW before Reef answers the
                         flexible-checksum uploads of recent AWS SDKs with HTTP 411)

Prints progress on stderr and exactly one JSON line on stdout:
  {"event":"iceberg-roundtrip","ok":true,"catalog":"hive","namespace":"...","snapshots":2,"rowsCurrent":5,
   "rowsAtFirstSnapshot":3,"rowsFiltered":2,"cleanedUp":true,"steps":[{"name":..,"ok":..,"ms":..,"detail":..}]}
Exit codes: 0 every step passed; 3 a step failed (the JSON says which); 2 bad configuration.
Secrets are never printed.
"""
import json
import os
import secrets
import sys
import time
import traceback

os.environ.setdefault("AWS_REQUEST_CHECKSUM_CALCULATION", "when_required")
os.environ.setdefault("AWS_RESPONSE_CHECKSUM_VALIDATION", "when_required")


def log(msg):
    print(f"iceberg_roundtrip.py: {msg}", file=sys.stderr, flush=True)


def emit(result, code):
    print(json.dumps(result, separators=(",", ":")), flush=True)
    sys.exit(code)


def config_from_env(env):
    """Catalog properties from the environment. Pure: raises ValueError naming the variable on bad input."""
    ctype = env.get("ICEBERG_CATALOG_TYPE", "hive").strip().lower()
    if ctype not in ("hive", "sql"):
        raise ValueError(f"ICEBERG_CATALOG_TYPE is '{ctype}'; expected 'hive' or 'sql'.")
    missing = [
        v
        for v in ("ICEBERG_CATALOG_URI", "ICEBERG_WAREHOUSE", "S3_ENDPOINT", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
        if not env.get(v)
    ]
    if missing:
        raise ValueError(f"environment variable(s) {', '.join(missing)} not set; the verification Job must set them.")
    uri = env["ICEBERG_CATALOG_URI"]
    if ctype == "hive" and not uri.startswith("thrift://"):
        raise ValueError(f"ICEBERG_CATALOG_URI is '{uri}'; a hive catalog needs thrift://HOST:PORT.")
    warehouse = env["ICEBERG_WAREHOUSE"].rstrip("/")
    if not warehouse.startswith(("s3://", "s3a://")):
        raise ValueError(f"ICEBERG_WAREHOUSE is '{warehouse}'; expected s3://BUCKET/PATH.")
    props = {
        "type": ctype,
        "uri": uri,
        "warehouse": warehouse,
        "s3.endpoint": env["S3_ENDPOINT"],
        "s3.access-key-id": env["AWS_ACCESS_KEY_ID"],
        "s3.secret-access-key": env["AWS_SECRET_ACCESS_KEY"],
        "s3.region": env.get("AWS_REGION") or "us-east-1",
        # Path-style: in-cluster RGW Services are not wildcard DNS names.
        "s3.force-virtual-addressing": "false",
    }
    if ctype == "sql":
        props["init_catalog_tables"] = "true"
    namespace = env.get("VERIFY_NAMESPACE") or f"lakehouse_verify_{time.strftime('%Y%m%d%H%M%S', time.gmtime())}_{secrets.token_hex(3)}"
    return props, namespace


class Steps:
    def __init__(self):
        self.items = []

    def run(self, name, fn):
        t0 = time.monotonic()
        try:
            value, detail = fn()
        except Exception as e:  # noqa: BLE001 - every failure becomes a failed step with its message
            ms = int((time.monotonic() - t0) * 1000)
            msg = f"{type(e).__name__}: {e}".strip()
            self.items.append({"name": name, "ok": False, "ms": ms, "detail": msg[:600]})
            log(f"{name} failed after {ms} ms: {msg}")
            raise StepFailed(name, msg) from e
        ms = int((time.monotonic() - t0) * 1000)
        self.items.append({"name": name, "ok": True, "ms": ms, "detail": detail})
        log(f"{name} ok ({ms} ms): {detail}")
        return value


class StepFailed(Exception):
    def __init__(self, step, message):
        super().__init__(f"{step}: {message}")
        self.step = step


def roundtrip(props, namespace):
    from pyiceberg.catalog import MetastoreCatalog, load_catalog
    from pyiceberg.expressions import EqualTo
    from pyiceberg.schema import Schema
    from pyiceberg.types import LongType, NestedField, StringType
    import pyarrow as pa

    steps = Steps()
    result = {"event": "iceberg-roundtrip", "ok": False, "catalog": props["type"], "namespace": namespace,
              "warehouse": props["warehouse"]}
    ident = (namespace, "roundtrip")
    catalog = None
    created_ns = created_table = False
    try:
        catalog = steps.run("connect", lambda: (load_catalog("verify", **props), f"{props['type']} catalog at {props['uri']}"))

        def create_ns():
            location = f"{props['warehouse']}/{namespace}.db"
            catalog.create_namespace(namespace, {"location": location, "comment": "lakehouse verification scratch"})
            return None, f"namespace {namespace} at {location}"

        steps.run("create-namespace", create_ns)
        created_ns = True
        schema = Schema(
            NestedField(1, "id", LongType(), required=True),
            NestedField(2, "name", StringType(), required=False),
        )
        table = steps.run("create-table", lambda: (catalog.create_table(ident, schema=schema), f"table {namespace}.roundtrip"))
        created_table = True
        arrow_schema = pa.schema([pa.field("id", pa.int64(), nullable=False), pa.field("name", pa.string())])

        def append(rows):
            def go():
                table.append(pa.Table.from_pylist(rows, schema=arrow_schema))
                snap = table.current_snapshot()
                return snap.snapshot_id, f"{len(rows)} rows, snapshot {snap.snapshot_id}"
            return go

        first = steps.run("append-1", append([{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}]))
        second = steps.run("append-2", append([{"id": 4, "name": "d"}, {"id": 5, "name": "b"}]))

        def read_back():
            fresh = catalog.load_table(ident)
            rows = fresh.scan().to_arrow()
            ids = sorted(rows.column("id").to_pylist())
            if ids != [1, 2, 3, 4, 5]:
                raise AssertionError(f"read back ids {ids}, expected [1, 2, 3, 4, 5]")
            filtered = fresh.scan(row_filter=EqualTo("name", "b")).to_arrow().num_rows
            if filtered != 2:
                raise AssertionError(f"filter name = 'b' returned {filtered} rows, expected 2")
            result["rowsCurrent"] = rows.num_rows
            result["rowsFiltered"] = filtered
            return fresh, f"{rows.num_rows} rows after reloading from the catalog; filter returned {filtered}"

        fresh = steps.run("read-back", read_back)

        def time_travel():
            snaps = [s.snapshot_id for s in fresh.snapshots()]
            if first not in snaps or second not in snaps:
                raise AssertionError(f"snapshots {snaps} do not include both appends ({first}, {second})")
            old = fresh.scan(snapshot_id=first).to_arrow()
            ids = sorted(old.column("id").to_pylist())
            if ids != [1, 2, 3]:
                raise AssertionError(f"scan as of snapshot {first} returned ids {ids}, expected [1, 2, 3]")
            result["snapshots"] = len(snaps)
            result["rowsAtFirstSnapshot"] = old.num_rows
            return None, f"{len(snaps)} snapshots; as of the first ({first}) {old.num_rows} rows"

        steps.run("time-travel", time_travel)
    except StepFailed as e:
        result["error"] = str(e)
        result["failedStep"] = e.step
    finally:
        result["cleanedUp"] = cleanup(steps, catalog, ident, namespace, created_ns, created_table, MetastoreCatalog)
        result["steps"] = steps.items
    result["ok"] = "error" not in result and result["cleanedUp"]
    if "error" not in result and not result["cleanedUp"]:
        result["error"] = "cleanup: the scratch objects could not all be removed (see steps)"
        result["failedStep"] = "cleanup"
    return result


def cleanup(steps, catalog, ident, namespace, created_ns, created_table, metastore_catalog):
    """Drops and purges what this run created, even after a failure. True when nothing is left."""
    ok = True
    if catalog is None:
        return True
    if created_table:
        def purge():
            table = catalog.load_table(ident)
            location = table.metadata_location
            try:
                catalog.purge_table(ident)
            except NotImplementedError:
                # pyiceberg's HiveCatalog has no purge_table (0.11); the generic drop-then-delete-files one works
                # with any metastore catalog.
                metastore_catalog.purge_table(catalog, ident)
            if table.io.new_input(location).exists():
                raise AssertionError(f"metadata file {location} still exists after the purge")
            return None, f"dropped {'.'.join(ident)} and deleted its data and metadata files"
        try:
            steps.run("purge-table", purge)
        except StepFailed:
            ok = False
    if created_ns:
        def drop_ns():
            catalog.drop_namespace(namespace)
            return None, f"dropped namespace {namespace}"
        try:
            steps.run("drop-namespace", drop_ns)
        except StepFailed:
            ok = False
    return ok


def main():
    try:
        props, namespace = config_from_env(os.environ)
    except ValueError as e:
        emit({"event": "iceberg-roundtrip", "ok": False, "error": f"configuration: {e}", "failedStep": "config", "steps": []}, 2)
    try:
        result = roundtrip(props, namespace)
    except Exception as e:  # noqa: BLE001 - unexpected: still one JSON line
        traceback.print_exc(file=sys.stderr)
        emit({"event": "iceberg-roundtrip", "ok": False, "error": f"unexpected: {type(e).__name__}: {e}", "steps": []}, 1)
    emit(result, 0 if result["ok"] else 3)


if __name__ == "__main__":
    main()
