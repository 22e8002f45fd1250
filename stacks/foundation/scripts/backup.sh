#!/usr/bin/env bash
# Metadata backup of the Hive Metastore database: pg_dump (custom format) -> s3://$S3_BUCKET/$S3_PREFIX/
# metastore-<UTC timestamp>.dump with its sha256 beside it (object metadata `sha256` and a `.sha256` object),
# then deletes backups older than RETENTION_DAYS. Fails loudly (non-zero exit, one clear line on stderr) on
# any error: a CronJob whose Job fails is what the "backup failed" alert watches.
#
# IMAGE ASSUMED: bash, GNU coreutils (date, stat, sha256sum), pg_dump/pg_restore of the server's major version
# or newer, and the AWS CLI (`aws`, v1 or v2). The backup CronJob (stacks/foundation/metadataBackup.ts) runs it
# in `images.backup` (postgres:16.4, which has no `aws`) with the self-contained AWS CLI v2 bundle of
# `images.awsCli` (amazon/aws-cli:2.17.0) copied in by an init container and put on PATH
# (stacks/foundation/awsCli.ts); the verification's restore Job does the same. The tests run this script with
# Debian's pg_dump 15 and awscli 1.45 (PyPI) against a real PostgreSQL and a real Ceph radosgw.
#
# Env contract (the CronJob sets these; secrets come from Secrets, never from a ConfigMap):
#   PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE   the metastore database (libpq reads them)
#   S3_ENDPOINT S3_BUCKET S3_PREFIX               where backups go (S3_PREFIX may be empty)
#   AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION
#   RETENTION_DAYS                                 backups older than this many days are deleted
#   AWS_REQUEST_CHECKSUM_CALCULATION=when_required recent AWS SDKs send flexible checksums (aws-chunked
#                                                  uploads) that Ceph RGW before Reef rejects with HTTP 411
# Optional:
#   BACKUP_NOW   the backup time as an ISO-8601 UTC time or @epoch (tests set it to exercise retention)
#   TMPDIR       where the dump is staged before upload
#
# Output: progress on stderr; on success one JSON line on stdout:
#   {"event":"backup","key":"...","bytes":N,"sha256":"...","deleted":["..."]}
set -euo pipefail

say() { printf 'backup.sh: %s\n' "$*" >&2; }
die() {
  local code="$1"
  shift
  printf 'backup.sh: ERROR: %s\n' "$*" >&2
  exit "$code"
}

for v in PGHOST PGPORT PGUSER PGDATABASE S3_ENDPOINT S3_BUCKET AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION RETENTION_DAYS; do
  [ -n "${!v:-}" ] || die 2 "environment variable $v is not set; the backup CronJob must set it (see the env contract at the top of backup.sh)."
done
[[ "$RETENTION_DAYS" =~ ^[0-9]+$ ]] && [ "$RETENTION_DAYS" -ge 1 ] ||
  die 2 "RETENTION_DAYS is '$RETENTION_DAYS'; expected a whole number of days >= 1 (config foundation.backupRetentionDays)."
for tool in pg_dump pg_restore aws sha256sum date; do
  command -v "$tool" >/dev/null || die 2 "'$tool' is not on PATH in this image; the backup image needs pg_dump/pg_restore, the AWS CLI and GNU coreutils."
done
# Ceph RGW before Reef rejects the flexible-checksum uploads of recent AWS SDKs (HTTP 411 MissingContentLength).
export AWS_REQUEST_CHECKSUM_CALCULATION="${AWS_REQUEST_CHECKSUM_CALCULATION:-when_required}"
export AWS_RESPONSE_CHECKSUM_VALIDATION="${AWS_RESPONSE_CHECKSUM_VALIDATION:-when_required}"
export AWS_DEFAULT_REGION="$AWS_REGION"
export AWS_PAGER=""

prefix="${S3_PREFIX:-}"
prefix="${prefix#/}"
prefix="${prefix%/}"
keyprefix="${prefix:+$prefix/}"

work="$(mktemp -d "${TMPDIR:-/tmp}/metastore-backup.XXXXXX")"
trap 'rm -rf "$work"' EXIT
# Path-style addressing: in-cluster RGW Services are not wildcard DNS names.
cat >"$work/aws-config" <<CFG
[default]
region = $AWS_REGION
s3 =
    addressing_style = path
CFG
export AWS_CONFIG_FILE="$work/aws-config"
s3() { aws --endpoint-url "$S3_ENDPOINT" --cli-read-timeout 60 --cli-connect-timeout 10 "$@"; }

if [ -n "${BACKUP_NOW:-}" ]; then
  now_epoch="$(date -u -d "$BACKUP_NOW" +%s 2>/dev/null)" || die 2 "BACKUP_NOW is '$BACKUP_NOW'; expected an ISO-8601 time or @epoch."
else
  now_epoch="$(date -u +%s)"
fi
stamp="$(date -u -d "@$now_epoch" +%Y%m%dT%H%M%SZ)"
name="metastore-$stamp.dump"
key="$keyprefix$name"

say "dumping database '$PGDATABASE' on $PGHOST:$PGPORT"
pg_dump --format=custom --compress=6 --no-password --file="$work/$name" ||
  die 3 "pg_dump of database '$PGDATABASE' on $PGHOST:$PGPORT failed (see above); check that the database is up and the credentials in the backup Secret are current."
# A dump pg_restore cannot list is not a backup.
pg_restore --list "$work/$name" >/dev/null ||
  die 3 "pg_restore cannot read the dump just written ($name); nothing was uploaded."
bytes="$(stat -c %s "$work/$name")"
sha="$(sha256sum "$work/$name" | cut -d' ' -f1)"
printf '%s  %s\n' "$sha" "$name" >"$work/$name.sha256"

say "uploading s3://$S3_BUCKET/$key ($bytes bytes, sha256 $sha)"
s3 s3api put-object --bucket "$S3_BUCKET" --key "$key" --body "$work/$name" \
  --content-type application/octet-stream --metadata "sha256=$sha" >/dev/null ||
  die 4 "upload of s3://$S3_BUCKET/$key to $S3_ENDPOINT failed (see above); check the endpoint, the bucket and the keys in the backup Secret."
s3 s3api put-object --bucket "$S3_BUCKET" --key "$key.sha256" --body "$work/$name.sha256" \
  --content-type text/plain >/dev/null ||
  die 4 "upload of the checksum s3://$S3_BUCKET/$key.sha256 failed (see above)."
# One listing serves two purposes: it proves the upload is complete (its size as the bucket reports it) and
# drives retention, by the time in the object name (the backup time), never deleting the backup just written.
listing="$(s3 s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "${keyprefix}metastore-" --query 'Contents[].[Key,Size]' --output text)" ||
  die 5 "listing s3://$S3_BUCKET/${keyprefix} after the upload failed (see above); the backup may be incomplete."
remote_bytes="$(awk -v k="$key" '$1 == k { print $2 }' <<<"$listing")"
[ "$remote_bytes" = "$bytes" ] ||
  die 4 "the uploaded backup s3://$S3_BUCKET/$key has ${remote_bytes:-no} bytes in the bucket, the local dump $bytes: the upload is incomplete."
cutoff=$((now_epoch - RETENTION_DAYS * 86400))
deleted=()
while read -r k _; do
  [ -n "$k" ] && [ "$k" != "None" ] || continue
  base="${k#"$keyprefix"}"
  [[ "$base" =~ ^metastore-([0-9]{8})T([0-9]{2})([0-9]{2})([0-9]{2})Z\.dump(\.sha256)?$ ]] || continue
  t="$(date -u -d "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}:${BASH_REMATCH[3]}:${BASH_REMATCH[4]}" +%s)"
  if [ "$t" -lt "$cutoff" ] && [ "$k" != "$key" ] && [ "$k" != "$key.sha256" ]; then
    s3 s3api delete-object --bucket "$S3_BUCKET" --key "$k" >/dev/null ||
      die 5 "deleting the expired backup s3://$S3_BUCKET/$k failed (see above)."
    deleted+=("$k")
  fi
done <<<"$listing"
[ ${#deleted[@]} -eq 0 ] || say "retention ($RETENTION_DAYS days) deleted ${#deleted[@]} object(s)"

json_deleted=""
for k in "${deleted[@]}"; do json_deleted+="${json_deleted:+,}\"$k\""; done
printf '{"event":"backup","key":"%s","bytes":%s,"sha256":"%s","deleted":[%s]}\n' "$key" "$bytes" "$sha" "$json_deleted"
