"""Small pyiceberg driver for the restore/reconcile tests: one operation per run, one JSON line on stdout.

    iceberg_ops.py create NS.TABLE              namespace (if missing) + table (id long, v string)
    iceberg_ops.py append NS.TABLE FIRST N      rows id FIRST..FIRST+N-1, v = "r<id>" (one commit)
    iceberg_ops.py read NS.TABLE                {"exists", "rows", "idSum", "metadata", "snapshots"}
    iceberg_ops.py rollback NS.TABLE            "roll back" the table the way an operator might: drop it from
                                                the catalog (files stay) and register it again at the metadata
                                                file BEFORE its current one; later commits branch from there

Env: METASTORE_URI, S3_ENDPOINT, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION.
"""

import json
import os
import sys

import pyarrow as pa
from pyiceberg.catalog.hive import HiveCatalog
from pyiceberg.exceptions import NoSuchTableError


def catalog():
    return HiveCatalog(
        "lakehouse",
        uri=os.environ["METASTORE_URI"],
        **{
            "s3.endpoint": os.environ["S3_ENDPOINT"],
            "s3.access-key-id": os.environ["AWS_ACCESS_KEY_ID"],
            "s3.secret-access-key": os.environ["AWS_SECRET_ACCESS_KEY"],
            "s3.region": os.environ["AWS_REGION"],
        },
    )


SCHEMA = pa.schema([pa.field("id", pa.int64()), pa.field("v", pa.string())])


def main(argv):
    op, name = argv[0], argv[1]
    cat = catalog()
    ns = name.split(".")[0]
    if op == "create":
        if (ns,) not in cat.list_namespaces():
            cat.create_namespace(ns)
        t = cat.create_table(name, schema=SCHEMA)
        out = {"metadata": t.metadata_location}
    elif op == "append":
        first, n = int(argv[2]), int(argv[3])
        t = cat.load_table(name)
        ids = list(range(first, first + n))
        t.append(pa.Table.from_pydict({"id": ids, "v": [f"r{i}" for i in ids]}, schema=SCHEMA))
        out = {"metadata": t.metadata_location}
    elif op == "read":
        try:
            t = cat.load_table(name)
        except NoSuchTableError:
            out = {"exists": False}
        else:
            rows = t.scan().to_arrow()
            out = {
                "exists": True,
                "rows": rows.num_rows,
                "idSum": sum(rows.column("id").to_pylist()),
                "metadata": t.metadata_location,
                "snapshots": len(t.snapshots()),
            }
    elif op == "rollback":
        t = cat.load_table(name)
        parent = t.metadata.metadata_log[-1].metadata_file
        cat.drop_table(name)
        t = cat.register_table(name, parent)
        out = {"metadata": t.metadata_location}
    else:
        raise SystemExit(f"unknown operation {op}")
    print(json.dumps(out))


if __name__ == "__main__":
    main(sys.argv[1:])
