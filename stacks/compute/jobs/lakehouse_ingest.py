"""Lakehouse sample job: ingest raw event files from a landing prefix into a partitioned Iceberg table.

    lakehouse_ingest.py --source s3a://BUCKET/landing/events/ --format csv|json \
        --table CATALOG.DB.TABLE --aggregate-table CATALOG.DB.TABLE

Input records (CSV with a header, or JSON lines): event_id (string, unique), event_time (ISO-8601 UTC,
e.g. 2026-11-30T12:34:56Z), user_id (string), event_type (string), amount (decimal, at most 2 places).

What it does, in order:
1. Reads every file under --source (Spark skips names starting with "_" or ".") and validates every record.
   Any malformed record (unparseable line, wrong CSV header, missing field, bad timestamp or amount, an
   event_id twice in the input) fails the run before anything is written: exit code 2 and one line on
   stderr naming the file and the problem. The tables are not touched.
2. Creates the namespace and both tables when missing. The events table is partitioned by days(event_time).
3. MERGE INTO the events table on event_id: new ids are inserted, changed rows updated, identical rows left
   alone, so a re-run of the same input changes nothing (same row count, no new snapshot). The MERGE is one
   Iceberg commit: it lands whole or not at all.
4. Rewrites the aggregate table (per event_date and event_type: events, amount_total) from the whole events
   table, as one overwrite commit.
5. Prints one JSON object as the last line on stdout:
   {"rows_read": N, "rows_merged": N, "table_rows": N, "snapshot_id": N, "aggregate_rows": N}

The Spark session is configured only by what spark-submit (or the SparkApplication) passes: the catalog, S3A
and sizing all come from stacks/compute/sparkConf.ts; S3 keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY.
Exit codes: 0 done, 2 invalid arguments or malformed input, 1 any other failure (one line on stderr).
Progress and errors go to stderr; note that spark-submit's PythonRunner merges a Python driver's stderr into its
stdout, so in the driver log (and spark-submit's stdout) they come before the final JSON line.
"""

import argparse
import json
import re
import sys
import time

EXIT_FAILED = 1
EXIT_INVALID = 2

COLUMNS = ["event_id", "event_time", "user_id", "event_type", "amount"]
# ISO-8601 in UTC: a date, "T" (or a space), a time with optional fraction, and Z or +00:00.
ISO_UTC = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]00:?00)$"
AMOUNT = r"^-?\d{1,10}(\.\d{1,2})?$"
TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")
CORRUPT = "_corrupt_record"


_T0 = time.monotonic()


def log(msg):
    """Progress on stderr (the driver log), with the seconds since start."""
    print(f"lakehouse_ingest: [{time.monotonic() - _T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


class InvalidInput(Exception):
    """Malformed input or arguments: exit code 2."""


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="lakehouse_ingest.py",
        description="Ingest CSV or JSON-lines event files into a partitioned Iceberg table (MERGE on event_id) "
        "and rewrite its daily aggregate.",
    )
    p.add_argument("--source", required=True, help="landing prefix, e.g. s3a://lakehouse-warehouse/landing/events/")
    p.add_argument("--format", required=True, choices=["csv", "json"], help="csv (with header) or json (lines)")
    p.add_argument("--table", required=True, help="events table, CATALOG.DB.TABLE")
    p.add_argument("--aggregate-table", required=True, help="aggregate table, CATALOG.DB.TABLE")
    args = p.parse_args(argv)
    for flag, value in (("--table", args.table), ("--aggregate-table", args.aggregate_table)):
        if not TABLE_NAME.match(value):
            p.error(f"{flag} {value!r} is not CATALOG.DB.TABLE (three SQL identifiers separated by dots)")
    if args.table.split(".")[:2] != args.aggregate_table.split(".")[:2]:
        # Not required by Iceberg, but one namespace keeps the sample's grants and clean-up simple.
        p.error(f"--aggregate-table {args.aggregate_table!r} must be in the same catalog.db as --table {args.table!r}")
    if args.table == args.aggregate_table:
        p.error("--table and --aggregate-table must differ")
    if not re.match(r"^s3a?://[^/]+/", args.source):
        p.error(f"--source {args.source!r} is not an s3a://BUCKET/PREFIX/ URI")
    return args


def one_line(text, limit=300):
    """First meaningful line of a (Java) error message, bounded."""
    for line in str(text).splitlines():
        line = line.strip()
        if line:
            return line if len(line) <= limit else line[: limit - 3] + "..."
    return "(no message)"


def input_files(spark, source):
    """Data files under `source` (recursively), as Spark will read them: names starting with _ or . skipped."""
    jvm = spark.sparkContext._jvm
    conf = spark.sparkContext._jsc.hadoopConfiguration()
    root = jvm.org.apache.hadoop.fs.Path(source)
    fs = root.getFileSystem(conf)
    if not fs.exists(root):
        return []
    files = []
    it = fs.listFiles(root, True)
    while it.hasNext():
        status = it.next()
        name = status.getPath().getName()
        if not name.startswith(("_", ".")):
            files.append(status.getPath().toString())
    return sorted(files)


def read_source(spark, source, fmt):
    from pyspark.sql import functions as F
    from pyspark.sql.types import StringType, StructField, StructType

    # Every field as a string: types are checked below, so a bad value is reported instead of becoming null.
    schema = StructType([StructField(c, StringType(), True) for c in COLUMNS] + [StructField(CORRUPT, StringType(), True)])
    reader = spark.read.schema(schema).option("mode", "PERMISSIVE").option("columnNameOfCorruptRecord", CORRUPT)
    if fmt == "csv":
        # enforceSchema=false: the header must name the columns (in order) instead of being ignored.
        df = reader.option("header", "true").option("enforceSchema", "false").csv(source)
    else:
        df = reader.json(source)
    return df.withColumn("_file", F.input_file_name())


def problems():
    """The first problem of each record (null when the record is fine), as a column."""
    from pyspark.sql import functions as F

    c = F.col
    quoted = lambda name: F.concat(F.lit(f'{name} "'), F.substring(c(name), 1, 60), F.lit('"'))  # noqa: E731
    blank = lambda name: c(name).isNull() | (F.trim(c(name)) == "")  # noqa: E731
    expr = F.when(c(CORRUPT).isNotNull(), F.concat(F.lit("unparseable record: "), F.substring(c(CORRUPT), 1, 120)))
    for name in COLUMNS:
        expr = expr.when(blank(name), F.lit(f"{name} is missing"))
    expr = (
        expr.when(
            ~c("event_time").rlike(ISO_UTC) | F.to_timestamp(c("event_time")).isNull(),
            F.concat(quoted("event_time"), F.lit(" is not an ISO-8601 UTC timestamp (e.g. 2026-11-30T12:34:56Z)")),
        )
        .when(
            ~F.trim(c("amount")).rlike(AMOUNT),
            F.concat(quoted("amount"), F.lit(" is not a decimal with at most 2 places")),
        )
    )
    return expr


def header_problem(msg, source):
    """`<file>: CSV header: expected column X but found Y (...)` from Spark's header-check message."""
    m = re.search(r"CSV file:\s*(\S+)", msg)
    where = m.group(1) if m else source
    detail = re.search(r"Expected:\s*(.*?)\s*but found:\s*(.*?)\s*(?:\n|CSV file:|$)", msg)
    why = f"CSV header: expected column {detail.group(1)} but found {detail.group(2)}" if detail else one_line(msg)
    return f"{where}: {why} (the header must be {','.join(COLUMNS)})"


def validated(spark, source, fmt):
    """The input as typed rows; raises InvalidInput naming the file and the problem of the first bad record."""
    from pyspark.sql import functions as F
    from pyspark.sql.utils import AnalysisException, IllegalArgumentException

    files = input_files(spark, source)
    if not files:
        return None, 0
    try:
        raw = read_source(spark, source, fmt).withColumn("_problem", problems()).cache()
        is_bad = F.col("_problem").isNotNull()
        # One pass over the input for every check; the details below are looked up only when one fails.
        summary = raw.agg(
            F.count(F.lit(1)).alias("rows"),
            F.sum(is_bad.cast("int")).alias("bad"),
            F.countDistinct(F.when(is_bad, F.col("_file"))).alias("bad_files"),
            F.countDistinct(F.trim("event_id")).alias("ids"),
        ).first()
    except AnalysisException as e:
        raise InvalidInput(f"{source}: {one_line(e)}") from None
    except Exception as e:
        # Spark's CSV header check ("CSV header does not conform to the schema ... CSV file: <path>") runs in the
        # reading task, so it arrives as an IllegalArgumentException on the driver or wrapped in the job's
        # failure (Py4JJavaError / SparkException): recognised by its text either way.
        if not isinstance(e, IllegalArgumentException) and "CSV header does not conform" not in str(e):
            raise
        raise InvalidInput(header_problem(str(e), source)) from None
    if summary["bad"]:
        first = raw.where(is_bad).orderBy("_file").select("_file", "_problem", "event_id").first()
        n, nfiles = summary["bad"], summary["bad_files"]
        more = f" ({n} malformed records in {nfiles} file(s))" if n > 1 else ""
        eid = f" (event_id {first['event_id']})" if first["event_id"] and "event_id" not in first["_problem"] else ""
        raise InvalidInput(f"{first['_file']}: {first['_problem']}{eid}{more}")
    if summary["ids"] != summary["rows"]:
        dup = (
            raw.groupBy(F.trim("event_id").alias("event_id"))
            .agg(F.count(F.lit(1)).alias("n"), F.array_sort(F.collect_set("_file")).alias("f"))
            .where("n > 1")
            .orderBy("event_id")
            .first()
        )
        raise InvalidInput(
            f"{', '.join(dup['f'])}: event_id {dup['event_id']!r} appears {dup['n']} times; event_id must be unique"
        )
    typed = raw.select(
        F.trim("event_id").alias("event_id"),
        F.to_timestamp("event_time").alias("event_time"),
        F.col("user_id"),
        F.col("event_type"),
        F.trim("amount").cast("decimal(12,2)").alias("amount"),
    )
    # Checkpointed: the MERGE reads the validated rows, not the files again (they may change meanwhile), and
    # the plan loses input_file_name(), which Spark refuses in a MERGE's join as non-deterministic.
    return typed.localCheckpoint(eager=True), summary["rows"]


def ensure_tables(spark, table, aggregate):
    namespace = table.rsplit(".", 1)[0]
    spark.sql(f"CREATE NAMESPACE IF NOT EXISTS {namespace}")
    spark.sql(
        f"""CREATE TABLE IF NOT EXISTS {table} (
              event_id string NOT NULL, event_time timestamp NOT NULL, user_id string, event_type string,
              amount decimal(12,2))
            USING iceberg
            PARTITIONED BY (days(event_time))
            TBLPROPERTIES ('format-version' = '2')"""
    )
    spark.sql(
        f"""CREATE TABLE IF NOT EXISTS {aggregate} (
              event_date date NOT NULL, event_type string, events bigint NOT NULL, amount_total decimal(22,2))
            USING iceberg
            TBLPROPERTIES ('format-version' = '2')"""
    )


def current_snapshot(spark, table):
    row = spark.sql(f"SELECT snapshot_id FROM {table}.refs WHERE name = 'main'").first()
    return int(row["snapshot_id"]) if row else None


def merge(spark, table, typed):
    """MERGE on event_id; returns how many rows it inserted or updated (0: nothing to do, no commit)."""
    typed.createOrReplaceTempView("lakehouse_ingest_source")
    same = " AND ".join(f"t.{c} <=> s.{c}" for c in COLUMNS[1:])
    changed = spark.sql(
        f"""SELECT count(*) AS n FROM lakehouse_ingest_source s LEFT JOIN {table} t ON t.event_id = s.event_id
            WHERE t.event_id IS NULL OR NOT ({same})"""
    ).first()["n"]
    if changed == 0:
        return 0
    differs = " OR ".join(f"NOT (t.{c} <=> s.{c})" for c in COLUMNS[1:])
    spark.sql(
        f"""MERGE INTO {table} t
            USING lakehouse_ingest_source s
            ON t.event_id = s.event_id
            WHEN MATCHED AND ({differs}) THEN UPDATE SET *
            WHEN NOT MATCHED THEN INSERT *"""
    )
    return changed


def rewrite_aggregate(spark, table, aggregate):
    from pyspark.sql import functions as F

    agg = (
        spark.table(table)
        .groupBy(F.to_date("event_time").alias("event_date"), "event_type")
        .agg(F.count(F.lit(1)).alias("events"), F.sum("amount").cast("decimal(22,2)").alias("amount_total"))
    )
    # overwrite(true): one commit that replaces every row, whatever spark.sql.sources.partitionOverwriteMode says.
    agg.writeTo(aggregate).overwrite(F.lit(True))
    return spark.table(aggregate).count()


def run(args):
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("lakehouse_ingest").getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    try:
        log(f"session up; reading {args.format} under {args.source}")
        typed, rows_read = validated(spark, args.source, args.format)
        if typed is None:
            log(f"no input files under {args.source}; nothing to merge")
        else:
            log(f"{rows_read} valid records")
        ensure_tables(spark, args.table, args.aggregate_table)
        rows_merged = merge(spark, args.table, typed) if typed is not None else 0
        log(f"merged {rows_merged} new or changed rows into {args.table}")
        aggregate_rows = rewrite_aggregate(spark, args.table, args.aggregate_table)
        log(f"rewrote {args.aggregate_table}: {aggregate_rows} rows")
        return {
            "rows_read": rows_read,
            "rows_merged": rows_merged,
            "table_rows": spark.table(args.table).count(),
            "snapshot_id": current_snapshot(spark, args.table),
            "aggregate_rows": aggregate_rows,
        }
    finally:
        spark.stop()


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        result = run(args)
    except InvalidInput as e:
        print(f"lakehouse_ingest: malformed input: {e}", file=sys.stderr)
        return EXIT_INVALID
    except Exception as e:  # noqa: BLE001 - one line for the operator; Spark's own log has the trace
        print(f"lakehouse_ingest: failed: {type(e).__name__}: {one_line(e)}", file=sys.stderr)
        return EXIT_FAILED
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
