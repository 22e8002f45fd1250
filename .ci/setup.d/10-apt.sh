#!/usr/bin/env bash
# Debian packages for the real engines in the tests: Ceph radosgw (S3), PostgreSQL, Prometheus (promtool).
set -euo pipefail
need=()
command -v radosgw >/dev/null || need+=(ceph-mon ceph-osd radosgw ceph-common)
command -v promtool >/dev/null || need+=(prometheus)
[ -x /usr/lib/postgresql/15/bin/initdb ] || need+=(postgresql-15 postgresql-client-15)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
# Debian starts services on install where it can; the tests start their own on loopback.
systemctl stop prometheus >/dev/null 2>&1 || true
pkill -x prometheus >/dev/null 2>&1 || true
echo "apt: radosgw $(radosgw --version | awk '{print $3}'), promtool $(promtool --version 2>&1 | awk 'NR==1{print $3}'), postgres $(/usr/lib/postgresql/15/bin/postgres --version | awk '{print $3}')"
