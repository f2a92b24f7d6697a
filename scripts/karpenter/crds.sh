#!/usr/bin/env bash
# Fetches Karpenter v1.14.1's own CRDs (the admission-parity oracle) from the Go module proxy and caches them
# outside the repo: ~/.cache/capsicum/karpenter-crds-v<version>/*.yaml. Nothing fetched is committed.
# Also caches Karpenter AWS's examples/v1 manifests (examples/ there), which the admission corpus test replays
# through the oracle. Prints the directory. CAPSICUM_CACHE overrides ~/.cache/capsicum; KARPENTER_VERSION overrides the version.
set -euo pipefail
version="${KARPENTER_VERSION:-1.14.1}"
cache="${CAPSICUM_CACHE:-$HOME/.cache/capsicum}"
out="$cache/karpenter-crds-v$version"
if [ -s "$out/karpenter.sh_nodepools.yaml" ] && [ -s "$out/karpenter.k8s.aws_ec2nodeclasses.yaml" ] && [ -d "$out/examples" ]; then
  echo "$out"; exit 0
fi
command -v go >/dev/null 2>&1 || { echo "capsicum: missing prerequisite 'go': install Go >= 1.24" >&2; exit 3; }
tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local GOPATH="$tmp/gopath" GOMODCACHE="$tmp/gopath/pkg/mod"
go mod init capsicum.local/oracle >/dev/null 2>&1
dir_of() { go mod download -json "$1" | python3 -c 'import json,sys;d=json.load(sys.stdin);print(d.get("Dir") or "");import sys as s; s.exit(0 if d.get("Dir") else 1)'; }
core="$(dir_of "sigs.k8s.io/karpenter@v$version")"
aws="$(dir_of "github.com/aws/karpenter-provider-aws@v$version")"
mkdir -p "$out.tmp"
cp "$core"/pkg/apis/crds/*.yaml "$out.tmp/"
cp "$aws"/pkg/apis/crds/*.yaml "$out.tmp/"
mkdir -p "$out.tmp/examples"
cp "$aws"/examples/v1/*.yaml "$out.tmp/examples/"
chmod -R u+w "$out.tmp" "$tmp/gopath" 2>/dev/null || true
rm -rf "$out"; mv "$out.tmp" "$out"
echo "$out"
