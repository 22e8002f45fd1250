#!/usr/bin/env bash
# Reconciles a (restored) Hive Metastore database with the Iceberg warehouse: the catalog of a dump points at
# the metadata files that were current when the dump was taken, while every commit since then is still in the
# bucket. Run by restore.sh (after a restore, and in --verify on the scratch copy; `restore.sh --reconcile-only`
# runs it alone); usable directly too.
#
#   reconcile.sh --db NAME [--since ISO-8601|@epoch] [--dry-run] [--no-record] [--scratch]
#
# For each Iceberg table of database NAME (TBLS + TABLE_PARAMS table_type=ICEBERG), it lists the table's
# metadata folder (the folder of its metadata_location) and takes the newest metadata file (highest version in
# the file name, NNNNN-<uuid>.metadata.json or vN.metadata.json):
#   - newest = the catalog's file                      -> unchanged;
#   - its `metadata-log` holds the catalog's file      -> moved: metadata_location = newest and
#     previous_metadata_location = the catalog's file, as an Iceberg commit sets them (compare-and-set on the
#     old value, so a concurrent commit is never overwritten);
#   - several files share the newest version, or the newest does not descend from the catalog's file
#                                                      -> left alone and named with the reason (divergent);
#   - no metadata file at all, or the catalog's file is gone and nothing descends from it -> missing.
# Then, under each database location, a table folder holding metadata files that no catalog table owns, whose
# newest file was written after --since (the dump's time), is registered (TBLS/SDS/SERDES/CDS/COLUMNS_V2/
# TABLE_PARAMS rows as an Iceberg catalog writes them; ids from DataNucleus' SEQUENCE_TABLE). Folders last
# written before --since belong to tables dropped before the dump and are only reported (`skipped`): a
# reconcile never resurrects what the dump already did not have. Without --since every such folder is
# registered.
#
# Everything is decided and applied in ONE PostgreSQL transaction (PostgreSQL's jsonb reads the metadata
# files, so the image needs nothing beyond restore.sh's: bash, psql, the AWS CLI, coreutils, gzip). Run it
# with the metastore stopped (the restore runbook does) or at least with no writer committing. Idempotent:
# a second run finds every table unchanged.
#
# Record (the contract with the table-maintenance job, which refuses orphan-file removal after a recent
# reconciled restore or while a table is divergent): unless --dry-run, --no-record or --scratch, the outcome
# line is stored in the BACKUP bucket next to the dumps, at
#   s3://$S3_BUCKET/<backup prefix>/reconcile/<UTC time YYYYMMDDTHHMMSSZ>.json   and
#   s3://$S3_BUCKET/<backup prefix>/reconcile/latest.json
# where <backup prefix> is $S3_PREFIX without leading/trailing slashes (the key is `reconcile/...` when empty),
# exactly as backup.sh names the dumps `<backup prefix>/metastore-<time>.dump`. The record is written BEFORE
# the catalog is changed (the planned outcome) and again after (the applied one): if it cannot be written,
# nothing is changed (exit 9). A reconcile that cannot run (exit 9: warehouse or database unreachable, the
# transaction rolled back) records its failure line, `"ok":false` with `error`, so that the maintenance keeps
# refusing orphan removal until a reconcile succeeds (a restore may just have put the catalog back at the dump).
#
# Env: PG* (PGDATABASE is replaced by --db), S3_ENDPOINT S3_BUCKET S3_PREFIX AWS_ACCESS_KEY_ID
# AWS_SECRET_ACCESS_KEY AWS_REGION (the backup bucket, as backup.sh); the warehouse is read with
# WAREHOUSE_AWS_ACCESS_KEY_ID / WAREHOUSE_AWS_SECRET_ACCESS_KEY at WAREHOUSE_S3_ENDPOINT (each defaults to the
# backup bucket's value). Only list and get are used on the warehouse.
#
# Output: progress on stderr; one JSON line on stdout:
#   {"event":"reconcile","ok":bool,"time":"<ISO-8601 UTC>","dryRun":bool,"targetDb":"...","since":"..."|null,
#    "tables":N,"unchanged":N,"moved":["db.t"],"registered":["db.u"],"left":[{"table":"db.t","reason":"..."}],
#    "missing":["db.t"],"moves":[{"table","from","to"}],"registrations":[{"table","location","metadata"}],
#    "missingDetail":[{"table","reason"}],"skipped":[{"location","reason"}],"record":"s3://..."|null}
#   ok = nothing left alone and nothing missing. On failure: {"event":"reconcile","ok":false,"error":"...",...}.
# Exit codes: 0 reconciled, nothing left or missing; 2 bad usage or environment; 8 reconciled, but tables were
# left alone or are missing (see `left`/`missing`); 9 the reconcile could not run or record (warehouse or
# database unreachable, record not written): the catalog is unchanged unless the line says otherwise.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
json_str() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr '\n\t' '  '; }
say() { printf 'reconcile.sh: %s\n' "$*" >&2; }
db=""
dry=false
record=true
scratch=false
since=""
now_iso="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
# Set once the record's key is known (after the checks), cleared when writing the record itself failed.
record_key=""
record_failure=false
die() {
  local code="$1" line
  shift
  printf 'reconcile.sh: ERROR: %s\n' "$*" >&2
  line="$(printf '{"event":"reconcile","ok":false,"time":"%s","dryRun":%s,"targetDb":"%s","exitCode":%s,"error":"%s"' \
    "$now_iso" "$dry" "$(json_str "$db")" "$code" "$(json_str "$*")")"
  if $record_failure; then
    # A reconcile that could not run still leaves its record: the table maintenance reads `error` and refuses
    # orphan removal until a reconcile succeeds (a restore may have just put the catalog back at the dump).
    line+=",\"record\":\"s3://$(json_str "$S3_BUCKET/$record_key")\"}"
    printf '%s\n' "$line" >"$work/failure.json"
    local k
    for k in "$record_key" "${record_key%/*}/latest.json"; do
      bk s3api put-object --bucket "$S3_BUCKET" --key "$k" --body "$work/failure.json" --content-type application/json >/dev/null ||
        printf 'reconcile.sh: ERROR: writing the failure record s3://%s/%s failed too (see above)\n' "$S3_BUCKET" "$k" >&2
    done
  else
    line+="}"
  fi
  printf '%s\n' "$line"
  exit "$code"
}
usage() { die 2 "$1 Usage: reconcile.sh --db NAME [--since ISO-8601|@epoch] [--dry-run] [--no-record] [--scratch]"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --db) [ $# -ge 2 ] || usage "--db needs a value."; db="$2"; shift 2 ;;
    --since) [ $# -ge 2 ] || usage "--since needs a value."; since="$2"; shift 2 ;;
    --dry-run) dry=true; shift ;;
    --no-record) record=false; shift ;;
    --scratch) scratch=true; record=false; shift ;;
    *) usage "unknown argument '$1'." ;;
  esac
done
[ -n "$db" ] || usage "give --db NAME (the metastore database to reconcile)."
[[ "$db" =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] || usage "--db '$db' is not a plain database name (letters, digits, '_')."
since_ms=""
if [ -n "$since" ]; then
  since_ms="$(date -u -d "$since" +%s 2>/dev/null)000" || usage "--since '$since' is not a time (expected ISO-8601 UTC or @epoch)."
  since="$(date -u -d "@${since_ms%000}" +%Y-%m-%dT%H:%M:%SZ)"
fi
$dry && record=false

for v in PGHOST PGPORT PGUSER S3_ENDPOINT AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION; do
  [ -n "${!v:-}" ] || die 2 "environment variable $v is not set; see the env contract at the top of reconcile.sh."
done
! $record || [ -n "${S3_BUCKET:-}" ] || die 2 "environment variable S3_BUCKET is not set: the reconcile record goes to the backup bucket (or pass --no-record)."
for tool in psql aws sed awk sort date gzip; do
  command -v "$tool" >/dev/null || die 2 "'$tool' is not on PATH in this image; the reconcile needs psql, the AWS CLI, coreutils and gzip."
done
[ -r "$here/reconcile.sql" ] || die 2 "reconcile.sql is missing next to reconcile.sh ($here); it ships in the same ConfigMap (metastore-backup-scripts)."
export AWS_REQUEST_CHECKSUM_CALCULATION="${AWS_REQUEST_CHECKSUM_CALCULATION:-when_required}"
export AWS_RESPONSE_CHECKSUM_VALIDATION="${AWS_RESPONSE_CHECKSUM_VALIDATION:-when_required}"
export AWS_DEFAULT_REGION="$AWS_REGION"
export AWS_PAGER=""
export PGDATABASE="$db"
# Nothing waits forever: a database that does not answer, or a metastore transaction holding a row we move.
export PGCONNECT_TIMEOUT="${PGCONNECT_TIMEOUT:-10}"

work="$(mktemp -d "${TMPDIR:-/tmp}/metastore-reconcile.XXXXXX")"
trap 'rm -rf "$work"' EXIT
cat >"$work/aws-config" <<CFG
[default]
region = $AWS_REGION
s3 =
    addressing_style = path
CFG
export AWS_CONFIG_FILE="$work/aws-config"
# The warehouse and the backup bucket may belong to different Ceph users (one ObjectBucketClaim each).
wh() {
  env "AWS_ACCESS_KEY_ID=${WAREHOUSE_AWS_ACCESS_KEY_ID:-$AWS_ACCESS_KEY_ID}" \
    "AWS_SECRET_ACCESS_KEY=${WAREHOUSE_AWS_SECRET_ACCESS_KEY:-$AWS_SECRET_ACCESS_KEY}" \
    aws --endpoint-url "${WAREHOUSE_S3_ENDPOINT:-$S3_ENDPOINT}" --cli-read-timeout 60 --cli-connect-timeout 10 "$@"
}
bk() { aws --endpoint-url "$S3_ENDPOINT" --cli-read-timeout 60 --cli-connect-timeout 10 "$@"; }
if $record; then
  prefix="${S3_PREFIX:-}"
  prefix="${prefix#/}"
  prefix="${prefix%/}"
  record_key="${prefix:+$prefix/}reconcile/$(date -u -d "$now_iso" +%Y%m%dT%H%M%SZ).json"
  # From here on a failure (exit 9) is recorded too.
  record_failure=true
fi
psqlq() { psql -X -q -v ON_ERROR_STOP=1 --no-password "$@"; }
# SQL string literal (standard_conforming_strings: only quotes need doubling).
lit() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/''/g")"; }

# ---- the catalog's Iceberg tables and databases ----
psqlq -At -F $'\t' -c "SELECT t.\"TBL_ID\", d.\"NAME\", t.\"TBL_NAME\", coalesce(s.\"LOCATION\", ''), coalesce(p.\"PARAM_VALUE\", '')
  FROM \"TBLS\" t JOIN \"DBS\" d ON d.\"DB_ID\" = t.\"DB_ID\" LEFT JOIN \"SDS\" s ON s.\"SD_ID\" = t.\"SD_ID\"
  JOIN \"TABLE_PARAMS\" tt ON tt.\"TBL_ID\" = t.\"TBL_ID\" AND tt.\"PARAM_KEY\" = 'table_type' AND upper(tt.\"PARAM_VALUE\") = 'ICEBERG'
  LEFT JOIN \"TABLE_PARAMS\" p ON p.\"TBL_ID\" = t.\"TBL_ID\" AND p.\"PARAM_KEY\" = 'metadata_location'
  ORDER BY 2, 3" >"$work/tables.tsv" 2>"$work/psql.err" || {
  cat "$work/psql.err" >&2
  die 9 "reading the Iceberg tables of database '$db' on $PGHOST:$PGPORT failed (see above); is it a Hive Metastore database?"
}
psqlq -At -F $'\t' -c "SELECT \"NAME\", \"DB_LOCATION_URI\" FROM \"DBS\" ORDER BY 1" >"$work/dbs.tsv" ||
  die 9 "reading the databases of '$db' failed (see above)."
say "database '$db': $(wc -l <"$work/tables.tsv" | tr -d ' ') Iceberg tables in $(wc -l <"$work/dbs.tsv" | tr -d ' ') databases"

# `s3a://bucket/a/b/` -> `bucket/a/b` (scheme-less, no trailing slash): how paths are compared.
bare() { local p="${1#*://}"; printf '%s' "${p%/}"; }
# Version of a metadata file name, or nothing when the name is not an Iceberg metadata file.
version_of() {
  local n="${1##*/}"
  if [[ "$n" =~ ^([0-9]+)-[^/]*\.metadata\.json(\.gz)?$ ]] || [[ "$n" =~ ^v([0-9]+)(\.gz)?\.metadata\.json$ ]]; then
    printf '%d' "$((10#${BASH_REMATCH[1]}))"
  fi
}
# bucket_exists B: 0 when the warehouse bucket B exists, 1 when it does not (404); dies on any other answer
# (403: wrong keys). Asked once per bucket: a missing bucket means its tables' files are gone.
declare -A buckets=()
bucket_exists() {
  if [ -z "${buckets[$1]:-}" ]; then
    if wh s3api head-bucket --bucket "$1" >/dev/null 2>"$work/head.err"; then
      buckets[$1]=yes
    elif grep -qE '404|Not Found|NoSuchBucket' "$work/head.err"; then
      buckets[$1]=no
    else
      cat "$work/head.err" >&2
      die 9 "reading the warehouse bucket '$1' at ${WAREHOUSE_S3_ENDPOINT:-$S3_ENDPOINT} failed (see above); check the warehouse keys (WAREHOUSE_AWS_ACCESS_KEY_ID) and the endpoint. Nothing was changed."
    fi
  fi
  [ "${buckets[$1]}" = yes ]
}
# Lists the metadata files under `bucket/prefix/` into files.tsv as `owner<TAB>bucket/key<TAB>version`.
list_metadata() {
  local owner="$1" dir="$2" bucket="${2%%/*}" prefix="${2#*/}" out
  bucket_exists "$bucket" || return 0
  out="$(wh s3api list-objects-v2 --bucket "$bucket" --prefix "$prefix/" --query 'Contents[].Key' --output text)" ||
    die 9 "listing s3://$dir/ at ${WAREHOUSE_S3_ENDPOINT:-$S3_ENDPOINT} failed (see above); check the warehouse keys (WAREHOUSE_AWS_ACCESS_KEY_ID) and the endpoint. Nothing was changed."
  local k v
  for k in $out; do
    [ "$k" != "None" ] || continue
    case "${k#"$prefix/"}" in */*) continue ;; esac
    v="$(version_of "$k")"
    [ -z "$v" ] || printf '%s\t%s\t%s\n' "$owner" "$bucket/$k" "$v" >>"$work/files.tsv"
  done
}
: >"$work/files.tsv"
: >"$work/cands.tsv"
: >"$work/known.txt"

# ---- each table's metadata folder ----
while IFS=$'\t' read -r id dbname tname loc ptr; do
  [ -n "$id" ] || continue
  if [ -n "$ptr" ]; then mdir="$(bare "${ptr%/*}")"; else mdir="$(bare "$loc")/metadata"; fi
  printf '%s\n' "$(bare "$loc")" "${mdir%/metadata}" >>"$work/known.txt"
  list_metadata "T$id" "$mdir"
done <"$work/tables.tsv"

# ---- table folders no catalog table owns, under each database location ----
cut -f2 "$work/dbs.tsv" | while read -r l; do bare "$l"; printf '\n'; done >>"$work/known.txt"
n=0
while IFS=$'\t' read -r dbname dloc; do
  [ -n "$dloc" ] || continue
  base="$(bare "$dloc")"
  bucket="${base%%/*}"
  prefix=""
  [ "$base" = "$bucket" ] || prefix="${base#*/}/"
  bucket_exists "$bucket" || continue
  children="$(wh s3api list-objects-v2 --bucket "$bucket" --prefix "$prefix" --delimiter / --query 'CommonPrefixes[].Prefix' --output text)" ||
    die 9 "listing s3://$base/ at ${WAREHOUSE_S3_ENDPOINT:-$S3_ENDPOINT} failed (see above); check the warehouse keys and the endpoint. Nothing was changed."
  for c in $children; do
    [ "$c" != "None" ] || continue
    dir="$bucket/${c%/}"
    grep -qxF "$dir" "$work/known.txt" && continue
    scheme="${dloc%%://*}"
    child="${c%/}"
    child="${child##*/}"
    if [[ "$child" == *.db ]] && ! cut -f1 "$work/dbs.tsv" | grep -qxF "${child%.db}"; then
      # A namespace folder the catalog lacks (created after the dump): its tables are reported, not registered.
      subs="$(wh s3api list-objects-v2 --bucket "$bucket" --prefix "$c" --delimiter / --query 'CommonPrefixes[].Prefix' --output text)" ||
        die 9 "listing s3://$dir/ failed (see above). Nothing was changed."
      for s in $subs; do
        [ "$s" != "None" ] || continue
        n=$((n + 1))
        list_metadata "C$n" "$bucket/${s%/}/metadata"
        printf 'C%s\t%s\t%s\t%s\n' "$n" "${child%.db}" "$(basename "$s")" "$scheme://$bucket/${s%/}" >>"$work/cands.tsv"
      done
      continue
    fi
    n=$((n + 1))
    list_metadata "C$n" "$dir/metadata"
    printf 'C%s\t%s\t%s\t%s\n' "$n" "$dbname" "$child" "$scheme://$dir" >>"$work/cands.tsv"
  done
done <"$work/dbs.tsv"

# ---- download the newest metadata file(s) of every owner whose newest is not the catalog's own ----
# The newest version per owner; all files at that version.
awk -F'\t' '{ if (!($1 in max) || $3 > max[$1]) max[$1] = $3; line[NR] = $0; o[NR] = $1; v[NR] = $3 }
  END { for (i = 1; i <= NR; i++) if (v[i] == max[o[i]]) print line[i] }' "$work/files.tsv" >"$work/tops.tsv"
awk -F'\t' '{ print "T" $1 "\t" $5 }' "$work/tables.tsv" >"$work/current.tsv"
mkdir -p "$work/docs"
: >"$work/docs.tsv"
m=0
while IFS=$'\t' read -r owner path _; do
  cur="$(awk -F'\t' -v o="$owner" '$1 == o { print $2 }' "$work/current.tsv")"
  if [ -n "$cur" ] && [ "$(bare "$cur")" = "$path" ] && [ "$(awk -F'\t' -v o="$owner" '$1 == o' "$work/tops.tsv" | wc -l)" = 1 ]; then
    continue # up to date: nothing to read
  fi
  m=$((m + 1))
  bucket="${path%%/*}"
  wh s3api get-object --bucket "$bucket" --key "${path#*/}" "$work/docs/$m.raw" >/dev/null 2>"$work/get.err" || {
    cat "$work/get.err" >&2
    die 9 "reading s3://$path failed (see above). Nothing was changed."
  }
  if [[ "$path" == *.gz.metadata.json || "$path" == *.metadata.json.gz ]]; then
    gzip -dc "$work/docs/$m.raw" >"$work/docs/$m.json" || die 9 "s3://$path is not gzip data. Nothing was changed."
  else
    mv "$work/docs/$m.raw" "$work/docs/$m.json"
  fi
  printf '%s\t%s\n' "$path" "$work/docs/$m.json" >>"$work/docs.tsv"
done <"$work/tops.tsv"
say "$(wc -l <"$work/files.tsv" | tr -d ' ') metadata files listed, $m read, $(wc -l <"$work/cands.tsv" | tr -d ' ') unowned table folders"

# ---- one transaction: load, decide, apply (or roll back), print the outcome ----
# run_sql FINISH: FINISH is COMMIT or ROLLBACK; the outcome JSON goes to $work/outcome.json.
run_sql() {
  {
    printf 'BEGIN;\n'
    printf "SET LOCAL lock_timeout = '30s';\nSET LOCAL statement_timeout = '10min';\n"
    printf 'CREATE TEMP TABLE rc_tables (tbl_id bigint, db text, name text, location text, cur text) ON COMMIT DROP;\n'
    printf 'CREATE TEMP TABLE rc_files (owner text, path text, version bigint) ON COMMIT DROP;\n'
    printf 'CREATE TEMP TABLE rc_docs (path text PRIMARY KEY, doc jsonb) ON COMMIT DROP;\n'
    printf 'CREATE TEMP TABLE rc_cands (owner text, db text, dir text, location text) ON COMMIT DROP;\n'
    while IFS=$'\t' read -r id dbname tname loc ptr; do
      [ -n "$id" ] || continue
      printf 'INSERT INTO rc_tables VALUES (%s, %s, %s, %s, %s);\n' "$id" "$(lit "$dbname")" "$(lit "$tname")" "$(lit "$loc")" "$(lit "$ptr")"
    done <"$work/tables.tsv"
    while IFS=$'\t' read -r owner path v; do
      printf 'INSERT INTO rc_files VALUES (%s, %s, %s);\n' "$(lit "$owner")" "$(lit "$path")" "$v"
    done <"$work/files.tsv"
    while IFS=$'\t' read -r owner dbname dir loc; do
      printf 'INSERT INTO rc_cands VALUES (%s, %s, %s, %s);\n' "$(lit "$owner")" "$(lit "$dbname")" "$(lit "$dir")" "$(lit "$loc")"
    done <"$work/cands.tsv"
    while IFS=$'\t' read -r path file; do
      printf 'INSERT INTO rc_docs VALUES (%s, ' "$(lit "$path")"
      printf "'"
      sed "s/'/''/g" "$file"
      printf "'::jsonb);\n"
    done <"$work/docs.tsv"
    printf '\\i %s\n' "$here/reconcile.sql"
    printf 'SELECT pg_temp.rc_reconcile(%s, %s, %s, %s, %s)::text;\n' \
      "$( [ -n "$since_ms" ] && printf '%s' "$since_ms" || printf 'NULL')" "$(lit "$now_iso")" "$dry" "$(lit "$db")" \
      "$(lit "restore.sh reconcile $now_iso")"
    printf '%s;\n' "$1"
  } >"$work/run.sql"
  psqlq -At -f "$work/run.sql" >"$work/outcome.json" 2>"$work/psql.err" || {
    cat "$work/psql.err" >&2
    die 9 "the reconcile transaction on database '$db' failed and was rolled back (see above). Nothing was changed."
  }
}

# put_record JSON: stores the line at the timestamped key and at latest.json; dies (exit 9) on failure.
put_record() {
  printf '%s\n' "$1" >"$work/record.json"
  local k
  for k in "$record_key" "${record_key%/*}/latest.json"; do
    bk s3api put-object --bucket "$S3_BUCKET" --key "$k" --body "$work/record.json" --content-type application/json >/dev/null || {
      record_failure=false
      die 9 "writing the reconcile record s3://$S3_BUCKET/$k failed (see above); $2"
    }
  done
}
with_record() {
  local r="null"
  [ -z "$record_key" ] || r="\"s3://$(json_str "$S3_BUCKET/$record_key")\""
  printf '%s,"record":%s,"scratch":%s}' "${1%\}}" "$r" "$scratch"
}

run_sql ROLLBACK
plan="$(cat "$work/outcome.json")"
[ -n "$plan" ] || die 9 "the reconcile transaction printed no outcome."
if $dry; then
  out="$(with_record "$plan")"
else
  if $record; then
    put_record "$(with_record "$plan")" "nothing was changed (the record must exist before the catalog changes)."
  fi
  run_sql COMMIT
  out="$(with_record "$(cat "$work/outcome.json")")"
  if $record; then
    put_record "$out" "the catalog WAS reconciled and the planned outcome is recorded; store this line there by hand."
  fi
fi
printf '%s\n' "$out"
# json_build_object spells it `"ok" : true`.
[[ "$out" =~ ^\{\"event\"\ ?:\ ?\"reconcile\",\ ?\"ok\"\ ?:\ ?true ]] && exit 0
exit 8
