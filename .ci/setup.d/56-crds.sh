#!/usr/bin/env bash
# The upstream CustomResourceDefinitions the e2e control plane installs (test/e2e/fixtures/crds.ts), fetched from
# the Go module proxy into $CACHE/crds/<project>/ (nothing third-party is committed):
#   Prometheus Operator v0.85.0        example/prometheus-operator-crd/
#   Flux source-controller v1.9.6      config/crd/bases/   (v1.10 needs a newer Go than this machine's)
#   Flux kustomize-controller v1.9.6   config/crd/bases/
#   External Secrets v0.16.2           config/crds/bases/  (serves external-secrets.io/v1 and v1beta1)
#   Flux helm-controller (HelmRelease): the proxy refuses github.com/fluxcd/helm-controller itself, but serves its
#     API module api/v1.6.5; the CRD is generated from those Go types with controller-gen v0.21.0, the version and
#     the options of helm-controller's own Makefile (`cd api; controller-gen crd:crdVersions=v1 paths=./...`).
# Rook and the Spark Operator are refused by the proxy: their kinds stay hand-written (docs/stand-ins.md).
# Idempotent: skipped when $CACHE/crds/.complete names these exact versions. Cold ~1-2 min (controller-gen build).
set -euo pipefail
CACHE=${LAKEHOUSE_CACHE:-$HOME/.cache/lakehouse}
DEST=$CACHE/crds
SRC=$CACHE/src
PROMETHEUS_OPERATOR=v0.85.0
FLUX_SOURCE=v1.9.6
FLUX_KUSTOMIZE=v1.9.6
EXTERNAL_SECRETS=v0.16.2
HELM_CONTROLLER_API=v1.6.5
CONTROLLER_GEN=v0.21.0
WANT="prometheus-operator $PROMETHEUS_OPERATOR, source-controller $FLUX_SOURCE, kustomize-controller $FLUX_KUSTOMIZE, external-secrets $EXTERNAL_SECRETS, helm-controller/api $HELM_CONTROLLER_API (controller-gen $CONTROLLER_GEN)"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local

if [ -f "$DEST/.complete" ] && [ "$(cat "$DEST/.complete")" = "$WANT" ]; then
  echo "upstream CRDs: already in $DEST ($WANT)"
  exit 0
fi
command -v go >/dev/null || { echo "56-crds: 'go' is not on PATH; install Go >= 1.24 (e.g. /usr/local/go/bin)" >&2; exit 1; }
t0=$(date +%s)
echo "upstream CRDs: fetching into $DEST ($(date -u +%H:%M:%S))"
tmp=$DEST.tmp
rm -rf "$tmp" && mkdir -p "$tmp" "$SRC"

# The module's folder in the module cache (downloads it once).
moddir() {
  local json dir
  json=$(cd "$tmp" && go mod download -json "$1")
  dir=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "56-crds: the Go module proxy did not serve $1:" >&2
    printf '%s\n' "$json" >&2
    exit 1
  fi
  printf '%s\n' "$dir"
}
copy() { # copy MODULE@VERSION SUBDIR NAME
  local dir
  dir=$(moddir "$1")
  mkdir -p "$tmp/$3"
  cp "$dir/$2"/*.yaml "$tmp/$3/"
  echo "  $3: $(ls "$tmp/$3" | wc -l) files from $1 $2"
}
copy "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR" example/prometheus-operator-crd prometheus-operator
copy "github.com/fluxcd/source-controller@$FLUX_SOURCE" config/crd/bases source-controller
copy "github.com/fluxcd/kustomize-controller@$FLUX_KUSTOMIZE" config/crd/bases kustomize-controller
copy "github.com/external-secrets/external-secrets@$EXTERNAL_SECRETS" config/crds/bases external-secrets

# controller-gen, then the HelmRelease CRD from helm-controller's API types, as its Makefile generates it.
if [ ! -x "$CACHE/bin/controller-gen" ] || [ "$(cat "$CACHE/bin/.versions/controller-gen" 2>/dev/null)" != "$CONTROLLER_GEN" ]; then
  echo "  controller-gen: building $CONTROLLER_GEN"
  mkdir -p "$CACHE/bin/.versions"
  GOBIN="$CACHE/bin" go install "sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN"
  echo "$CONTROLLER_GEN" >"$CACHE/bin/.versions/controller-gen"
fi
api=$(moddir "github.com/fluxcd/helm-controller/api@$HELM_CONTROLLER_API")
rm -rf "$SRC/helm-controller-api" && cp -r "$api" "$SRC/helm-controller-api" && chmod -R u+w "$SRC/helm-controller-api"
mkdir -p "$tmp/helm-controller"
(cd "$SRC/helm-controller-api" && go mod download && "$CACHE/bin/controller-gen" crd:crdVersions=v1 paths=./... output:crd:artifacts:config="$tmp/helm-controller")
echo "  helm-controller: $(ls "$tmp/helm-controller" | wc -l) file(s) generated from github.com/fluxcd/helm-controller/api@$HELM_CONTROLLER_API"
[ -f "$tmp/helm-controller/helm.toolkit.fluxcd.io_helmreleases.yaml" ] || { echo "56-crds: controller-gen wrote no HelmRelease CRD" >&2; exit 1; }

echo "$WANT" >"$tmp/.complete"
rm -rf "$DEST" && mv "$tmp" "$DEST"
echo "upstream CRDs: done in $(($(date +%s) - t0)) s"
