#!/usr/bin/env bash
# Restores the Hive Metastore database from a backup written by backup.sh, after verifying its sha256, then
# reconciles the restored catalog with the warehouse (reconcile.sh): commits made after the dump are still in
# the bucket, but the dump's catalog points at the metadata files of the dump's time.
#
#   restore.sh --verify [--backup latest|KEY] [--keep]
#       Restores into a fresh scratch database (metastore_verify_<time>), compares its tables and row counts
#       with the live database ($PGDATABASE), reconciles the scratch copy with the warehouse (read-only towards
#       the warehouse and the live database; nothing recorded), compares every Iceberg table's metadata pointer
#       with the live catalog's, prints the result as one JSON line and drops the scratch database (unless
#       --keep). This is what `verify.metadata-backup-restore` runs in its Job.
#   restore.sh --target-db NAME [--backup latest|KEY] [--replace] [--no-reconcile]
#       Restores into database NAME (created when missing). A non-empty NAME is refused unless --replace,
#       which drops the objects the dump contains first (pg_restore --clean). Then reconciles NAME with the
#       warehouse (moves pointers forward, registers tables created after the dump, names the rest; see
#       reconcile.sh) unless --no-reconcile. The runbook's recovery path: stop the metastore, restore with
#       --target-db <metastore db> --replace, start the metastore.
#   restore.sh --reconcile-only --target-db NAME [--dry-run] [--backup latest|KEY | --since TIME]
#       Only the reconcile, on database NAME as it is (after a restore with --no-reconcile, or to look again).
#       Tables are registered only when written after the restored dump's time: give the same --backup as the
#       restore (default: the newest dump) or --since. --dry-run changes nothing and records nothing: it
#       prints what a reconcile would do (the loss a --no-reconcile restore leaves, table by table).
#
# Same image and env contract as backup.sh (PG*, S3_*, AWS_*; RETENTION_DAYS is not needed); the reconcile
# also reads the warehouse with WAREHOUSE_AWS_ACCESS_KEY_ID/WAREHOUSE_AWS_SECRET_ACCESS_KEY (default: the
# backup bucket's keys) and records its outcome at s3://$S3_BUCKET/<backup prefix>/reconcile/ (reconcile.sh).
# The database user needs CREATEDB for --verify.
#
# Exit codes: 0 restored (and reconciled; with --verify, tables, row counts and pointers match); 2 bad usage or
# environment; 3 no backup found; 4 the backup is corrupt or unverifiable (checksum missing or wrong, dump
# unreadable); 5 the restore failed; 6 --verify found different tables or row counts; 7 --verify: after the
# reconcile, an Iceberg table's metadata pointer still differs from the live catalog's (`pointerDiffs`);
# 8 restored, but the reconcile left tables alone or found them missing (`reconcile.left`/`reconcile.missing`);
# 9 restored, but the reconcile could not run (`reconcile.error`); 1 anything unexpected.
# Output: progress on stderr; one JSON line on stdout, also on failure ({"event":"restore","ok":false,...});
# --reconcile-only prints reconcile.sh's line ({"event":"reconcile",...}).
set -euo pipefail

stage="setup"
json_str() { printf '%s' "$1" | sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' | tr '\n\t' '  '; }
say() { printf 'restore.sh: %s\n' "$*" >&2; }
die() {
  local code="$1"
  shift
  printf 'restore.sh: ERROR: %s\n' "$*" >&2
  printf '{"event":"restore","ok":false,"stage":"%s","exitCode":%s,"key":"%s","error":"%s"}\n' \
    "$stage" "$code" "$(json_str "${key:-}")" "$(json_str "$*")"
  exit "$code"
}
usage() { die 2 "$1 Usage: restore.sh --verify [--backup latest|KEY] [--keep] | --target-db NAME [--backup latest|KEY] [--replace] [--no-reconcile] | --reconcile-only --target-db NAME [--dry-run] [--backup latest|KEY | --since TIME]"; }
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

backup="latest"
target=""
verify=false
keep=false
replace=false
reconcile=true
reconcile_only=false
dry_run=false
since=""
while [ $# -gt 0 ]; do
  case "$1" in
    --backup) [ $# -ge 2 ] || usage "--backup needs a value."; backup="$2"; shift 2 ;;
    --target-db) [ $# -ge 2 ] || usage "--target-db needs a value."; target="$2"; shift 2 ;;
    --verify) verify=true; shift ;;
    --keep) keep=true; shift ;;
    --replace) replace=true; shift ;;
    --no-reconcile) reconcile=false; shift ;;
    --reconcile-only) reconcile_only=true; shift ;;
    --dry-run) dry_run=true; shift ;;
    --since) [ $# -ge 2 ] || usage "--since needs a value."; since="$2"; shift 2 ;;
    *) usage "unknown argument '$1'." ;;
  esac
done
if $reconcile_only; then
  [ -n "$target" ] && ! $verify || usage "--reconcile-only needs --target-db NAME (and no --verify)."
  $reconcile || usage "--reconcile-only and --no-reconcile contradict each other."
else
  $reconcile || ! $verify || usage "--verify always reconciles the scratch copy (that is what it verifies); drop --no-reconcile."
  ! $dry_run || usage "--dry-run goes with --reconcile-only (a restore always changes the target database)."
  [ -z "$since" ] || usage "--since goes with --reconcile-only (a restore takes the time from the dump's name)."
fi
$verify || [ -n "$target" ] || usage "give --verify (restore into a scratch database and compare) or --target-db NAME."
[ -z "$target" ] || [[ "$target" =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] ||
  usage "--target-db '$target' is not a plain database name (letters, digits, '_')."

for v in PGHOST PGPORT PGUSER PGDATABASE S3_ENDPOINT S3_BUCKET AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION; do
  [ -n "${!v:-}" ] || die 2 "environment variable $v is not set; see the env contract at the top of backup.sh."
done
for tool in pg_restore psql aws sha256sum date; do
  command -v "$tool" >/dev/null || die 2 "'$tool' is not on PATH in this image; the restore image needs pg_restore/psql, the AWS CLI and GNU coreutils."
done
export AWS_REQUEST_CHECKSUM_CALCULATION="${AWS_REQUEST_CHECKSUM_CALCULATION:-when_required}"
export AWS_RESPONSE_CHECKSUM_VALIDATION="${AWS_RESPONSE_CHECKSUM_VALIDATION:-when_required}"
export AWS_DEFAULT_REGION="$AWS_REGION"
export AWS_PAGER=""

prefix="${S3_PREFIX:-}"
prefix="${prefix#/}"
prefix="${prefix%/}"
keyprefix="${prefix:+$prefix/}"

work="$(mktemp -d "${TMPDIR:-/tmp}/metastore-restore.XXXXXX")"
scratch_created=""
cleanup() {
  if [ -n "$scratch_created" ] && ! $keep; then
    psql -X -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$scratch_created\" WITH (FORCE)" >/dev/null 2>&1 ||
      say "could not drop the scratch database '$scratch_created'; drop it by hand."
  fi
  rm -rf "$work"
}
trap cleanup EXIT
cat >"$work/aws-config" <<CFG
[default]
region = $AWS_REGION
s3 =
    addressing_style = path
CFG
export AWS_CONFIG_FILE="$work/aws-config"
s3() { aws --endpoint-url "$S3_ENDPOINT" --cli-read-timeout 60 --cli-connect-timeout 10 "$@"; }
psqlq() { psql -X -q -v ON_ERROR_STOP=1 --no-password "$@"; }

# run_reconcile DB ARGS...: reconcile.sh on DB; its JSON line goes to $work/reconcile.json, its exit code to rc.
run_reconcile() {
  local db="$1"
  shift
  rc=0
  bash "$here/reconcile.sh" --db "$db" "$@" >"$work/reconcile.json" || rc=$?
  rec="$(grep '^{' "$work/reconcile.json" | tail -n 1 || true)"
  [ -n "$rec" ] || rec="{\"event\":\"reconcile\",\"ok\":false,\"error\":\"reconcile.sh (exit $rc) printed no outcome; see its log above\"}"
}
dry_args=()
$dry_run && dry_args=(--dry-run)
if $reconcile_only && [ -n "$since" ]; then
  run_reconcile "$target" --since "$since" "${dry_args[@]}"
  printf '%s\n' "$rec"
  exit "$rc"
fi

# ---- find the backup ----
stage="find"
if [ "$backup" = "latest" ]; then
  keys="$(s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "${keyprefix}metastore-" --query 'Contents[].Key' --output text)" ||
    die 1 "listing s3://$S3_BUCKET/$keyprefix at $S3_ENDPOINT failed (see above); check the endpoint, bucket and keys."
  # Names carry a sortable UTC timestamp, so the newest backup sorts last.
  key="$(printf '%s\n' $keys | grep -E '(^|/)metastore-[0-9]{8}T[0-9]{6}Z\.dump$' | sort | tail -n 1 || true)"
  [ -n "$key" ] || die 3 "no backup found under s3://$S3_BUCKET/$keyprefix (expected objects named metastore-<UTC time>.dump); check that the backup CronJob has run successfully."
else
  key="$backup"
  case "$key" in */*) ;; *) key="$keyprefix$key" ;; esac
fi
name="${key##*/}"
backup_time=""
if [[ "$name" =~ ^metastore-([0-9]{4})([0-9]{2})([0-9]{2})T([0-9]{2})([0-9]{2})([0-9]{2})Z\.dump$ ]]; then
  backup_time="${BASH_REMATCH[1]}-${BASH_REMATCH[2]}-${BASH_REMATCH[3]}T${BASH_REMATCH[4]}:${BASH_REMATCH[5]}:${BASH_REMATCH[6]}Z"
fi

if $reconcile_only; then
  [ -n "$backup_time" ] ||
    usage "the backup '$name' has no time in its name, so the reconcile cannot tell tables created after it; give --since TIME."
  say "reconcile only: tables written after the dump $key ($backup_time) are registered"
  run_reconcile "$target" --since "$backup_time" "${dry_args[@]}"
  printf '%s\n' "$rec"
  exit "$rc"
fi
since_args=()
[ -z "$backup_time" ] || since_args=(--since "$backup_time")

# ---- download and verify ----
stage="download"
say "downloading s3://$S3_BUCKET/$key"
# A named backup: HEAD first, it tells "missing" (404) apart from other failures reliably across AWS CLI
# versions. The newest one came from the listing, so it exists.
[ "$backup" = "latest" ] || s3 s3api head-object --bucket "$S3_BUCKET" --key "$key" >/dev/null 2>"$work/head.err" || {
  if grep -qE 'NoSuchKey|Not Found|404' "$work/head.err"; then
    die 3 "the backup s3://$S3_BUCKET/$key does not exist; list the bucket to pick an existing one."
  fi
  cat "$work/head.err" >&2
  die 1 "reading s3://$S3_BUCKET/$key at $S3_ENDPOINT failed (see above); check the endpoint, bucket and keys."
}
s3 s3api get-object --bucket "$S3_BUCKET" --key "$key" "$work/backup.dump" >/dev/null ||
  die 1 "downloading s3://$S3_BUCKET/$key failed (see above)."
stage="checksum"
expected=""
if s3 s3api get-object --bucket "$S3_BUCKET" --key "$key.sha256" "$work/backup.sha256" >/dev/null 2>&1; then
  expected="$(cut -d' ' -f1 <"$work/backup.sha256" | tr -d '[:space:]')"
fi
if [ -z "$expected" ]; then
  expected="$(s3 s3api head-object --bucket "$S3_BUCKET" --key "$key" --query 'Metadata.sha256' --output text 2>/dev/null || true)"
  [ "$expected" != "None" ] || expected=""
fi
[ -n "$expected" ] ||
  die 4 "the backup s3://$S3_BUCKET/$key has no checksum (neither $name.sha256 nor the sha256 metadata); it cannot be verified, so it is not restored."
actual="$(sha256sum "$work/backup.dump" | cut -d' ' -f1)"
bytes="$(stat -c %s "$work/backup.dump")"
[ "$actual" = "$expected" ] ||
  die 4 "the backup s3://$S3_BUCKET/$key is corrupt: its sha256 is $actual, the recorded one $expected ($bytes bytes downloaded); restore an older backup (--backup KEY)."
pg_restore --list "$work/backup.dump" >/dev/null 2>"$work/list.err" || {
  cat "$work/list.err" >&2
  die 4 "the backup s3://$S3_BUCKET/$key matches its checksum but pg_restore cannot read it; restore an older backup (--backup KEY)."
}

# ---- restore ----
stage="restore"
live_db="$PGDATABASE"
if $verify && [ -z "$target" ]; then
  target="metastore_verify_$(date -u +%Y%m%d%H%M%S)_$$"
fi
exists="$(psqlq -At -c "SELECT 1 FROM pg_database WHERE datname = '$target'")" ||
  die 5 "cannot connect to PostgreSQL at $PGHOST:$PGPORT as $PGUSER (see above)."
if [ -z "$exists" ]; then
  psqlq -c "CREATE DATABASE \"$target\"" >/dev/null ||
    die 5 "creating database '$target' failed (see above); the user $PGUSER needs CREATEDB."
  $verify && scratch_created="$target"
elif $verify; then
  die 2 "the scratch database '$target' already exists; give another name or drop it."
else
  tables="$(PGDATABASE="$target" psqlq -At -c "SELECT count(*) FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog','information_schema')")"
  if [ "$tables" != "0" ] && ! $replace; then
    die 2 "database '$target' already holds $tables tables; add --replace to overwrite them (stop the metastore first)."
  fi
fi
say "restoring into database '$target'"
clean=()
$replace && clean=(--clean --if-exists)
pg_restore --no-owner --no-privileges --exit-on-error "${clean[@]}" --dbname="$target" "$work/backup.dump" ||
  die 5 "pg_restore into database '$target' failed (see above)."

# ---- compare ----
stage="compare"
# Row counts of every user table, computed in SQL so that quoted upper-case Hive table names need no escaping here.
count_sql="SELECT table_schema || '.' || table_name, (xpath('/row/c/text()', query_to_xml(format('SELECT count(*) AS c FROM %I.%I', table_schema, table_name), false, true, '')))[1]::text
FROM information_schema.tables WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
PGDATABASE="$target" psqlq -At -F ' ' -c "$count_sql" >"$work/restored.txt" ||
  die 5 "counting rows in the restored database '$target' failed (see above)."
restored_tables="$(wc -l <"$work/restored.txt" | tr -d ' ')"
if ! $verify; then
  rec="null"
  code=0
  reconciled=false
  if $reconcile; then
    stage="reconcile"
    say "reconciling '$target' with the warehouse (commits and tables since the dump, ${backup_time:-time unknown})"
    run_reconcile "$target" "${since_args[@]}"
    case "$rc" in
      0) reconciled=true ;;
      8) reconciled=true; code=8; say "the reconcile left tables alone or found them missing: see reconcile.left / reconcile.missing" ;;
      *) code=9; say "the restore is done but the reconcile could not run: fix the cause, then run restore.sh --reconcile-only --target-db $target --backup $key" ;;
    esac
  else
    say "--no-reconcile: '$target' points at the dump's metadata files; commits since then are not visible until restore.sh --reconcile-only --target-db $target --backup $key runs (--dry-run shows them)"
  fi
  printf '{"event":"restore","ok":true,"key":"%s","backupTime":"%s","bytes":%s,"sha256":"%s","targetDb":"%s","restoredTables":%s,"reconciled":%s,"reconcile":%s}\n' \
    "$(json_str "$key")" "$backup_time" "$bytes" "$actual" "$target" "$restored_tables" "$reconciled" "$rec"
  exit "$code"
fi
PGDATABASE="$live_db" psqlq -At -F ' ' -c "$count_sql" >"$work/live.txt" ||
  die 5 "counting rows in the live database '$live_db' failed (see above)."

declare -A live restored
while read -r t n; do [ -n "$t" ] && live["$t"]="$n"; done <"$work/live.txt"
while read -r t n; do [ -n "$t" ] && restored["$t"]="$n"; done <"$work/restored.txt"
tables_json=""
missing_json=""
extra_json=""
diff_json=""
mismatch=0
for t in $(printf '%s\n' "${!live[@]}" "${!restored[@]}" | sort -u); do
  l="${live[$t]:-null}"
  r="${restored[$t]:-null}"
  tables_json+="${tables_json:+,}\"$(json_str "$t")\":{\"live\":$l,\"restored\":$r}"
  if [ "$r" = "null" ]; then
    missing_json+="${missing_json:+,}\"$(json_str "$t")\""
    mismatch=1
  elif [ "$l" = "null" ]; then
    extra_json+="${extra_json:+,}\"$(json_str "$t")\""
    mismatch=1
  elif [ "$l" != "$r" ]; then
    diff_json+="${diff_json:+,}\"$(json_str "$t")\""
    mismatch=1
  fi
done
match=true
[ "$mismatch" = 0 ] || match=false

# ---- reconcile the scratch copy, then compare every Iceberg table's pointer with the live catalog's ----
# The reconcile writes only to the scratch database; the live database is only read (SELECT) below.
stage="reconcile"
say "reconciling the scratch copy '$target' with the warehouse (nothing recorded)"
run_reconcile "$target" "${since_args[@]}" --scratch
reconcile_rc="$rc"
stage="compare"
ptr_sql="SELECT d.\"NAME\" || '.' || t.\"TBL_NAME\", coalesce(p.\"PARAM_VALUE\", '')
FROM \"TBLS\" t JOIN \"DBS\" d ON d.\"DB_ID\" = t.\"DB_ID\"
JOIN \"TABLE_PARAMS\" tt ON tt.\"TBL_ID\" = t.\"TBL_ID\" AND tt.\"PARAM_KEY\" = 'table_type' AND upper(tt.\"PARAM_VALUE\") = 'ICEBERG'
LEFT JOIN \"TABLE_PARAMS\" p ON p.\"TBL_ID\" = t.\"TBL_ID\" AND p.\"PARAM_KEY\" = 'metadata_location' ORDER BY 1"
PGDATABASE="$live_db" psqlq -At -F $'\t' -c "$ptr_sql" >"$work/live-ptr.tsv" ||
  die 5 "reading the Iceberg tables' metadata pointers of the live database '$live_db' failed (see above)."
PGDATABASE="$target" psqlq -At -F $'\t' -c "$ptr_sql" >"$work/restored-ptr.tsv" ||
  die 5 "reading the Iceberg tables' metadata pointers of the restored database '$target' failed (see above)."
declare -A live_ptr=() restored_ptr=()
while IFS=$'\t' read -r t p; do [ -n "$t" ] && live_ptr["$t"]="$p"; done <"$work/live-ptr.tsv"
while IFS=$'\t' read -r t p; do [ -n "$t" ] && restored_ptr["$t"]="$p"; done <"$work/restored-ptr.tsv"
# Writers spell the same object s3:// or s3a://: pointers are compared without the scheme.
bare() { local p="${1#*://}"; printf '%s' "${p%/}"; }
ptr_diffs=""
only_restored=""
same=0
for t in $(printf '%s\n' "${!live_ptr[@]}" "${!restored_ptr[@]}" | sort -u); do
  if [ -z "${live_ptr[$t]+x}" ]; then
    only_restored+="${only_restored:+,}\"$(json_str "$t")\""
  elif [ -z "${restored_ptr[$t]+x}" ]; then
    ptr_diffs+="${ptr_diffs:+,}{\"table\":\"$(json_str "$t")\",\"live\":\"$(json_str "${live_ptr[$t]}")\",\"restored\":null}"
  elif [ "$(bare "${live_ptr[$t]}")" != "$(bare "${restored_ptr[$t]}")" ]; then
    ptr_diffs+="${ptr_diffs:+,}{\"table\":\"$(json_str "$t")\",\"live\":\"$(json_str "${live_ptr[$t]}")\",\"restored\":\"$(json_str "${restored_ptr[$t]}")\"}"
  else
    same=$((same + 1))
  fi
done
pointers_match=true
[ -z "$ptr_diffs" ] || pointers_match=false
dropped=true
$keep && dropped=false
printf '{"event":"restore","ok":true,"verify":true,"key":"%s","backupTime":"%s","bytes":%s,"sha256":"%s","targetDb":"%s","liveDb":"%s","liveTables":%s,"restoredTables":%s,"missingTables":[%s],"extraTables":[%s],"rowCountDiffs":[%s],"match":%s,"scratchDropped":%s,"tables":{%s},"icebergTables":{"live":%s,"restored":%s,"same":%s},"pointersMatch":%s,"pointerDiffs":[%s],"onlyRestored":[%s],"reconcile":%s}\n' \
  "$(json_str "$key")" "$backup_time" "$bytes" "$actual" "$target" "$live_db" "${#live[@]}" "${#restored[@]}" \
  "$missing_json" "$extra_json" "$diff_json" "$match" "$dropped" "$tables_json" \
  "${#live_ptr[@]}" "${#restored_ptr[@]}" "$same" "$pointers_match" "$ptr_diffs" "$only_restored" "$rec"
$pointers_match || exit 7
[ "$reconcile_rc" = 0 ] || [ "$reconcile_rc" = 8 ] || exit 9
$match || exit 6
exit 0
