#!/usr/bin/env bash
# The real Pulumi engine for the e2e tests (test/e2e), built from Go modules into the cache's bin dir:
#   - the Pulumi CLI v3.248.0 (the last @pulumi/pulumi release for Node 20 is 3.248);
#   - the Kubernetes provider plugin pulumi-resource-kubernetes v4.25.0 (the only pulumi-kubernetes provider
#     commit the Go module proxy serves; the 4.34 SDK warns that it expects >= 4.34.2, harmless here);
#   - two 2-line shims the engine looks up on PATH when no Node.js language host is installed:
#     pulumi-analyzer-policy-nodejs (runs the policy pack) and pulumi-resource-pulumi-nodejs (dynamic providers).
# Idempotent: a binary is rebuilt only when it is missing or was built for another version (stamp files in
# $BIN/.versions). Cold: ~5 min (CLI) + ~10 min (provider, 5 GB peak) on 2 cores. The throwaway wrapper
# modules live under the cache, never in the repo; nothing third-party is committed.
set -euo pipefail
CACHE=${LAKEHOUSE_CACHE:-$HOME/.cache/lakehouse}
BIN=$CACHE/bin
SRC=$CACHE/src
PULUMI_VERSION=3.248.0
K8S_PROVIDER_VERSION=4.25.0
# The proxy serves the provider module only as this pseudo-version (= tag v4.25.0).
K8S_PROVIDER_MODULE=github.com/pulumi/pulumi-kubernetes/provider/v4
K8S_PROVIDER_MODULE_VERSION=v4.0.0-20260115033456-f47bc2d6f199
export GOFLAGS=-mod=mod GOTOOLCHAIN=local
mkdir -p "$BIN/.versions" "$SRC"

command -v go >/dev/null || { echo "50-pulumi: 'go' is not on PATH; install Go >= 1.24 (e.g. /usr/local/go/bin)" >&2; exit 1; }

# LAKEHOUSE_BUILD_ONLY="a b": build only those parts (lets two parts build at once on a busy machine).
want() { [ -z "${LAKEHOUSE_BUILD_ONLY:-}" ] || [[ " $LAKEHOUSE_BUILD_ONLY " == *" $1 "* ]]; }
have() { [ -x "$BIN/$1" ] && [ "$(cat "$BIN/.versions/$1" 2>/dev/null)" = "$2" ]; }
stamp() { echo "$2" >"$BIN/.versions/$1"; }
fresh() { rm -rf "$SRC/$1" && mkdir -p "$SRC/$1" && cd "$SRC/$1" && go mod init "lakehouse.local/$1" >/dev/null 2>&1; }

# With no Node.js language host, the engine runs a policy pack through an analyzer plugin named
# pulumi-analyzer-policy-nodejs on PATH, and dynamic providers through pulumi-resource-pulumi-nodejs. Both
# resolve @pulumi/pulumi from the directory the engine starts them in (the pack's or the project's folder).
shim() {
  printf '#!/bin/sh\nexec node "$(node -p '"'"'require.resolve("@pulumi/pulumi/cmd/%s")'"'"')" "$@"\n' "$2" >"$BIN/$1.tmp"
  chmod +x "$BIN/$1.tmp" && mv "$BIN/$1.tmp" "$BIN/$1"
}
shim pulumi-analyzer-policy-nodejs run-policy-pack
shim pulumi-resource-pulumi-nodejs dynamic-provider

t0=$(date +%s)
if ! want pulumi; then
  echo "pulumi: not built (LAKEHOUSE_BUILD_ONLY=$LAKEHOUSE_BUILD_ONLY)"
elif have pulumi "$PULUMI_VERSION"; then
  echo "pulumi: $("$BIN/pulumi" version) already built"
else
  echo "pulumi: building CLI v$PULUMI_VERSION ($(date -u +%H:%M:%S))"
  fresh pulumi-cli
  # The cmd package itself must be in `go get`, or the build stops at "missing go.sum entry".
  go get "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi@v$PULUMI_VERSION" "github.com/pulumi/pulumi/sdk/v3@v$PULUMI_VERSION"
  # Without the -X flag `pulumi version` prints nothing.
  go build -trimpath -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION" \
    -o "$BIN/pulumi.tmp" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
  mv "$BIN/pulumi.tmp" "$BIN/pulumi"
  stamp pulumi "$PULUMI_VERSION"
  echo "pulumi: built $("$BIN/pulumi" version) in $(($(date +%s) - t0)) s"
fi

t1=$(date +%s)
if ! want pulumi-resource-kubernetes; then
  echo "pulumi-resource-kubernetes: not built (LAKEHOUSE_BUILD_ONLY=$LAKEHOUSE_BUILD_ONLY)"
elif have pulumi-resource-kubernetes "$K8S_PROVIDER_VERSION"; then
  echo "pulumi-resource-kubernetes: v$K8S_PROVIDER_VERSION already built"
else
  echo "pulumi-resource-kubernetes: building v$K8S_PROVIDER_VERSION ($(date -u +%H:%M:%S))"
  fresh pulumi-resource-kubernetes
  go get "$K8S_PROVIDER_MODULE@$K8S_PROVIDER_MODULE_VERSION"
  moddir=$(go list -m -f '{{.Dir}}' "$K8S_PROVIDER_MODULE")
  # main.go embeds files that `go generate` makes from the schema: build them in the wrapper.
  for f in main.go generate.go schema.json terraform-mapping.json; do
    cp "$moddir/cmd/pulumi-resource-kubernetes/$f" .
    chmod u+w "$f"
  done
  VERSION=$K8S_PROVIDER_VERSION go run generate.go
  go mod tidy
  go build -trimpath -ldflags "-s -w -X $K8S_PROVIDER_MODULE/pkg/version.Version=$K8S_PROVIDER_VERSION" \
    -o "$BIN/pulumi-resource-kubernetes.tmp" .
  mv "$BIN/pulumi-resource-kubernetes.tmp" "$BIN/pulumi-resource-kubernetes"
  stamp pulumi-resource-kubernetes "$K8S_PROVIDER_VERSION"
  echo "pulumi-resource-kubernetes: built in $(($(date +%s) - t1)) s"
fi

echo "pulumi: tools in $BIN ($(($(date +%s) - t0)) s)"
