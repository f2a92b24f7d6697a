#!/usr/bin/env bash
# Builds the local control plane (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, etcd,
# kwok) from the Go module proxy and installs moto into a virtualenv. Everything is cached outside the
# repo, keyed by version, so a warm run is a few stat() calls.
#   CAPSICUM_CACHE (default ~/.cache/capsicum) — where binaries and the venv live.
# Prints "bin=<dir>" lines consumed by the harness.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${CAPSICUM_CACHE:-$HOME/.cache/capsicum}"
mkdir -p "$cache"

need() { command -v "$1" >/dev/null 2>&1 || { echo "capsicum: missing prerequisite '$1': $2" >&2; exit 3; }; }
need go "install Go >= 1.24 (Debian: apt-get install golang-go, or https://go.dev/dl) and re-run"
need python3 "install Python >= 3.9 with venv (Debian: apt-get install python3 python3-venv)"
need openssl "install openssl (Debian: apt-get install openssl)"

export GOFLAGS=-mod=mod CGO_ENABLED=0 GOTOOLCHAIN=local
log() { echo "[cluster-build] $*" >&2; }
t0=$(date +%s)

k8s_bin="$cache/k8s-v$K8S_VERSION/bin"
if [ ! -x "$k8s_bin/kube-apiserver" ] || [ ! -x "$k8s_bin/kubectl" ]; then
  log "building Kubernetes v$K8S_VERSION server binaries (cold build: 15-30 min on 2 cores)"
  work="$cache/k8s-v$K8S_VERSION/src"; rm -rf "$work"; mkdir -p "$work"; cd "$work"
  minor="${K8S_VERSION#*.}"; minor="${minor%%.*}"; staging="0.${K8S_VERSION#*.}"
  go mod init capsicum.local/k8sbin >/dev/null 2>&1
  gomod="$(go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | python3 -c 'import json,sys;print(json.load(sys.stdin)["GoMod"])')"
  # Re-map every staging module that k8s.io/kubernetes replaces with ./staging/... to its published tag.
  for m in $(grep -oE '^\s*k8s\.io/[a-z0-9-]+ => \./staging' "$gomod" | awk '{print $1}'); do
    go mod edit -replace "$m=$m@v$staging"
  done
  go mod edit -require "k8s.io/kubernetes@v$K8S_VERSION"
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  go mod tidy >/dev/null 2>&1 || true
  ldf="-s -w -X k8s.io/component-base/version.gitVersion=v$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1"
  ldf="$ldf -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  ldf="$ldf -X k8s.io/component-base/version.buildDate=2025-01-01T00:00:00Z"
  ldf="$ldf -X k8s.io/client-go/pkg/version.gitVersion=v$K8S_VERSION -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"
  mkdir -p "$k8s_bin.tmp"
  go build -trimpath -o "$k8s_bin.tmp/" -ldflags "$ldf" \
    k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
    k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
  cd "$cache"; rm -rf "$k8s_bin"; mv "$k8s_bin.tmp" "$k8s_bin"; rm -rf "$work"
fi

etcd_bin="$cache/etcd-v$ETCD_VERSION/bin"
if [ ! -x "$etcd_bin/etcd" ]; then
  log "building etcd v$ETCD_VERSION"
  # `go install` refuses etcd's server module (it has replace directives); a wrapper module builds it.
  work="$cache/etcd-v$ETCD_VERSION/src"; rm -rf "$work"; mkdir -p "$work"; cd "$work"
  go mod init capsicum.local/etcdbin >/dev/null 2>&1
  go mod edit -require "go.etcd.io/etcd/server/v3@v$ETCD_VERSION"
  printf '//go:build tools\n\npackage tools\n\nimport _ "go.etcd.io/etcd/server/v3"\n' > tools.go
  go mod tidy >/dev/null 2>&1 || true
  mkdir -p "$etcd_bin.tmp"
  go build -trimpath -ldflags "-s -w" -o "$etcd_bin.tmp/etcd" go.etcd.io/etcd/server/v3
  cd "$cache"; rm -rf "$etcd_bin"; mv "$etcd_bin.tmp" "$etcd_bin"; rm -rf "$work"
fi

kwok_bin="$cache/kwok-v$KWOK_VERSION/bin"
if [ ! -x "$kwok_bin/kwok" ]; then
  log "building kwok v$KWOK_VERSION"
  GOBIN="$kwok_bin" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION"
fi

venv="$cache/moto-v$MOTO_VERSION"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import moto.server' 2>/dev/null; then
  log "installing moto[server]==$MOTO_VERSION into $venv"
  python3 -m venv "$venv" || { echo "capsicum: python3 -m venv failed: install python3-venv (apt-get install python3-venv)" >&2; exit 3; }
  "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server,ec2,sqs,ssm,iam]==$MOTO_VERSION"
fi

log "ready in $(( $(date +%s) - t0 ))s"
echo "k8s=$k8s_bin"
echo "etcd=$etcd_bin"
echo "kwok=$kwok_bin"
echo "moto=$venv/bin/python"
