#!/usr/bin/env bash
# A real Kubernetes control plane for the e2e tests (harness/kube-control-plane.ts), built from Go modules
# into the cache's bin dir: etcd v3.6.16, kube-apiserver / kube-controller-manager / kube-scheduler / kubectl
# v1.34.2 and kwok v0.8.0 (fake nodes: no kubelet, no containers), plus kwok's stage files (the pod "fast"
# stages and the node stages) copied from the kwok module into $CACHE/kwok-stages.
# Idempotent: a binary is rebuilt only when missing or built for another version (stamps in $BIN/.versions).
# Cold: etcd ~15 s, kwok ~1 min, the Kubernetes binaries ~6 min on 2 cores (1.8 GB peak). The throwaway wrapper
# modules live under the cache, never in the repo; nothing third-party is committed.
set -euo pipefail
CACHE=${LAKEHOUSE_CACHE:-$HOME/.cache/lakehouse}
BIN=$CACHE/bin
SRC=$CACHE/src
ETCD_VERSION=3.6.16
K8S_VERSION=1.34.2
KWOK_VERSION=0.8.0
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
mkdir -p "$BIN/.versions" "$SRC"

command -v go >/dev/null || { echo "55-kube: 'go' is not on PATH; install Go >= 1.24 (e.g. /usr/local/go/bin)" >&2; exit 1; }

# LAKEHOUSE_BUILD_ONLY="a b": build only those parts (lets two parts build at once on a busy machine).
want() { [ -z "${LAKEHOUSE_BUILD_ONLY:-}" ] || [[ " $LAKEHOUSE_BUILD_ONLY " == *" $1 "* ]]; }
have() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/.versions/$1" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" >"$BIN/.versions/$1"; }
fresh() { rm -rf "$SRC/$1" && mkdir -p "$SRC/$1" && cd "$SRC/$1" && go mod init "lakehouse.local/$1" >/dev/null 2>&1; }

t0=$(date +%s)
if ! want etcd; then
  echo "etcd: not built (LAKEHOUSE_BUILD_ONLY=$LAKEHOUSE_BUILD_ONLY)"
elif have etcd "$ETCD_VERSION"; then
  echo "etcd: v$ETCD_VERSION already built"
else
  echo "etcd: building v$ETCD_VERSION ($(date -u +%H:%M:%S))"
  fresh etcd
  printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n' >main.go
  go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  go mod tidy
  go build -trimpath -ldflags "-s -w" -o "$BIN/etcd.tmp" .
  mv "$BIN/etcd.tmp" "$BIN/etcd"
  stamp etcd "$ETCD_VERSION"
  echo "etcd: built in $(($(date +%s) - t0)) s"
fi

t1=$(date +%s)
if ! want kwok; then
  echo "kwok: not built (LAKEHOUSE_BUILD_ONLY=$LAKEHOUSE_BUILD_ONLY)"
elif have kwok "$KWOK_VERSION" && [ -f "$CACHE/kwok-stages/.version" ] && [ "$(cat "$CACHE/kwok-stages/.version")" = "$KWOK_VERSION" ]; then
  echo "kwok: v$KWOK_VERSION already built"
else
  echo "kwok: building v$KWOK_VERSION ($(date -u +%H:%M:%S))"
  fresh kwok
  go get "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
  go build -trimpath -ldflags "-s -w -X sigs.k8s.io/kwok/pkg/consts.Version=v$KWOK_VERSION" -o "$BIN/kwok.tmp" sigs.k8s.io/kwok/cmd/kwok
  mv "$BIN/kwok.tmp" "$BIN/kwok"
  # kwok exits "no stages found" without stage files. The pod "fast" stages: pods go Running/Ready (and Job
  # pods Succeeded) at once; the "general" ready stage waits for a condition only its own create stage sets.
  moddir=$(go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
  rm -rf "$CACHE/kwok-stages" && mkdir -p "$CACHE/kwok-stages"
  cp -r "$moddir/kustomize/stage/pod/fast" "$CACHE/kwok-stages/pod-fast"
  cp -r "$moddir/kustomize/stage/node/fast" "$CACHE/kwok-stages/node-fast" 2>/dev/null || true
  [ -d "$CACHE/kwok-stages/node-fast" ] || cp -r "$moddir/kustomize/stage/node" "$CACHE/kwok-stages/node"
  chmod -R u+w "$CACHE/kwok-stages"
  echo "$KWOK_VERSION" >"$CACHE/kwok-stages/.version"
  stamp kwok "$KWOK_VERSION"
  echo "kwok: built in $(($(date +%s) - t1)) s"
fi

t2=$(date +%s)
k8s_bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
all=1
for b in "${k8s_bins[@]}"; do have "$b" "$K8S_VERSION" || all=0; done
if ! want kubernetes; then
  echo "kubernetes: not built (LAKEHOUSE_BUILD_ONLY=$LAKEHOUSE_BUILD_ONLY)"
elif [ "$all" = 1 ]; then
  echo "kubernetes: v$K8S_VERSION already built (${k8s_bins[*]})"
else
  echo "kubernetes: building v$K8S_VERSION ${k8s_bins[*]} ($(date -u +%H:%M:%S))"
  fresh kubernetes
  # k8s.io/kubernetes points its staging modules (k8s.io/api, client-go, ...) at ./staging: pin each to its
  # published v0.x release instead, read from the module's own go.mod.
  kgomod=$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/^\s*"GoMod": "\(.*\)",\?$/\1/p')
  staging_ver="v0.${K8S_VERSION#1.}"
  {
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    sed -n 's#^\s*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#replace \1 => \1 '"$staging_ver"'#p' "$kgomod"
  } >>go.mod
  n=$(grep -c '^replace' go.mod)
  echo "kubernetes: $n staging modules pinned to $staging_ver"
  [ "$n" -gt 20 ] || { echo "kubernetes: expected ~31 staging replace lines in $kgomod, got $n" >&2; exit 1; }
  printf '//go:build tools\n\npackage tools\n\nimport (\n' >tools.go
  for b in "${k8s_bins[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b" >>tools.go; done
  printf ')\n' >>tools.go
  go mod tidy
  minor=${K8S_VERSION#1.}
  minor=${minor%%.*}
  ld="-s -w"
  # Without these, the binaries report v0.0.0 and kubectl cannot parse the server version.
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  out=$(mktemp -d "$BIN/.k8s-build.XXXXXX")
  pkgs=()
  for b in "${k8s_bins[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  go build -trimpath -ldflags "$ld" -o "$out/" "${pkgs[@]}"
  for b in "${k8s_bins[@]}"; do
    mv "$out/$b" "$BIN/$b"
    stamp "$b" "$K8S_VERSION"
  done
  rmdir "$out"
  echo "kubernetes: built in $(($(date +%s) - t2)) s"
fi
echo "kube: tools in $BIN ($(($(date +%s) - t0)) s)"
