#!/usr/bin/env bash
# Builds the pinned control-plane binaries (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
# etcd, kwok, csi-sanity) from the Go module proxy into a git-ignored cache keyed by version.
# Warm runs cost nothing: every binary that already exists is kept.
#
# Why a script and not `go install`: k8s.io/kubernetes and etcd's server module carry replace directives,
# so `go install pkg@version` refuses them. Small main modules under e2e/controlplane/{kube,etcd} that pin the
# staging modules make the build possible and reproducible (their go.mod/go.sum are committed).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.sh
source "$here/versions.sh"

root=$(cd "$here/../.." && pwd)
cache=${TESTENV_CACHE:-$root/.cache/testenv}
bin=$cache/bin
mkdir -p "$bin"

export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod

log() { printf '[controlplane] %s\n' "$*" >&2; }
have() { [ -x "$bin/$1" ] && [ -f "$bin/.$1.version" ] && [ "$(cat "$bin/.$1.version")" = "$2" ]; }
stamp() { echo "$2" >"$bin/.$1.version"; }

# Warm path first: when every binary is there at its pinned version, do nothing (and need no Go toolchain).
all_built() {
  for b in kube-apiserver kube-controller-manager kube-scheduler kubectl; do have "$b" "$K8S_VERSION" || return 1; done
  have etcd "$ETCD_VERSION" && have kwok "$KWOK_VERSION" && have csi-sanity "$CSI_SANITY_VERSION"
}
if all_built; then echo "$bin"; exit 0; fi

command -v go >/dev/null || { echo "build.sh: the Go toolchain is needed to build the control plane (go not on PATH)" >&2; exit 1; }
# One build at a time (npm pretest, vitest's global setup and a second terminal may all start one): later
# callers wait for the lock, then find the binaries built.
if command -v flock >/dev/null; then
  exec 9>"$cache/.build.lock"
  if ! flock -n 9; then
    log "another build.sh is running; waiting for it"
    flock 9
  fi
fi

# --- Kubernetes: one main module that requires k8s.io/kubernetes with every staging module replaced. ---
kube_bins=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
need_kube=()
for b in "${kube_bins[@]}"; do have "$b" "$K8S_VERSION" || need_kube+=("$b"); done
if [ ${#need_kube[@]} -gt 0 ]; then
  start=$SECONDS
  log "building ${need_kube[*]} $K8S_VERSION (cold: many minutes)"
  mod=$here/kube
  if [ ! -f "$mod/go.mod" ] || ! grep -q "k8s.io/kubernetes $K8S_VERSION" "$mod/go.mod"; then
    log "generating $mod/go.mod for $K8S_VERSION"
    rm -rf "$mod" && mkdir -p "$mod"
    (cd "$mod" && go mod init dynatrace-operator-ts/testenv/kube >/dev/null 2>&1)
    kmod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')
    staging_minor=${K8S_VERSION#v1.}   # 34.10 -> staging modules are v0.34.10
    # Every staging module required as v0.0.0 is replaced by its published twin.
    for m in $(awk '/^\t?k8s\.io\/[^ ]+ v0\.0\.0$/ {print $1} /^require|^\)/ {}' "$kmod" | sort -u); do
      (cd "$mod" && go mod edit -replace="$m=$m@v0.$staging_minor")
    done
    (cd "$mod" && go get -tool \
      "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@$K8S_VERSION" \
      "k8s.io/kubernetes/cmd/kube-scheduler@$K8S_VERSION" \
      "k8s.io/kubernetes/cmd/kubectl@$K8S_VERSION")
  fi
  major=${K8S_VERSION#v}; major=${major%%.*}
  minor=${K8S_VERSION#v*.}; minor=${minor%%.*}
  ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld="$ld -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  pkgs=()
  for b in "${need_kube[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  (cd "$mod" && go build -trimpath -ldflags "$ld" -o "$bin/" "${pkgs[@]}")
  for b in "${need_kube[@]}"; do stamp "$b" "$K8S_VERSION"; done
  log "kubernetes binaries built in $((SECONDS - start)) s"
fi

# --- etcd: a wrapper main around etcdmain.Main. ---
if ! have etcd "$ETCD_VERSION"; then
  start=$SECONDS
  log "building etcd $ETCD_VERSION"
  mod=$here/etcd
  if [ ! -f "$mod/go.mod" ] || ! grep -q "go.etcd.io/etcd/server/v3 $ETCD_VERSION" "$mod/go.mod"; then
    rm -f "$mod/go.mod" "$mod/go.sum"
    (cd "$mod" && go mod init dynatrace-operator-ts/testenv/etcd >/dev/null 2>&1 \
      && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" && go mod tidy)
  fi
  (cd "$mod" && go build -trimpath -ldflags "-s -w" -o "$bin/etcd" .)
  stamp etcd "$ETCD_VERSION"
  log "etcd built in $((SECONDS - start)) s"
fi

# --- kwok and csi-sanity: no replace directives, a plain go install works. ---
if ! have kwok "$KWOK_VERSION"; then
  start=$SECONDS
  log "building kwok $KWOK_VERSION"
  GOBIN=$bin go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION"
  stamp kwok "$KWOK_VERSION"
  log "kwok built in $((SECONDS - start)) s"
fi
if ! have csi-sanity "$CSI_SANITY_VERSION"; then
  start=$SECONDS
  log "building csi-sanity $CSI_SANITY_VERSION"
  GOBIN=$bin go install -trimpath -ldflags "-s -w" "github.com/kubernetes-csi/csi-test/v5/cmd/csi-sanity@$CSI_SANITY_VERSION"
  stamp csi-sanity "$CSI_SANITY_VERSION"
  log "csi-sanity built in $((SECONDS - start)) s"
fi

echo "$bin"
