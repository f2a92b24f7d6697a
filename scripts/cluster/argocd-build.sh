#!/usr/bin/env bash
# Builds Argo CD (application-controller, repo-server, server and CLI: one binary dispatching on
# ARGOCD_BINARY_NAME) plus an in-memory Redis (miniredis) from the Go module proxy, and keeps the CRDs and base
# config from the same module zip. Cached outside the repo keyed by version, like build.sh:
#   $CAPSICUM_CACHE/argocd-<version>/{bin/argocd,bin/redis,bin/*-wrapper.sh,manifests/...}
# Argo CD v3.6.x is the only line that builds from the proxy (older tags replace ./gitops-engine with a nested
# module the zip leaves out); its go.mod says `go 1.27.0`, so the build uses GOTOOLCHAIN=go1.27.3, which the Go
# command downloads from the proxy (~76 MB) when the local Go is older. Cold build: 955 CPU-seconds measured (~8 min
# on 2 idle cores), 2.1 GB of modules, 2.4 GB of Go build cache, 2.3 GB peak RSS.
# Prints "argocd=<dir>" for the sandbox.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"
cache="${CAPSICUM_CACHE:-$HOME/.cache/capsicum}"
dir="$cache/argocd-$ARGOCD_VERSION"
log() { echo "[argocd-build] $*" >&2; }

if [ -x "$dir/bin/argocd" ] && [ -x "$dir/bin/redis" ] && [ -f "$dir/manifests/crds/application-crd.yaml" ]; then
  echo "argocd=$dir"
  exit 0
fi
command -v go >/dev/null 2>&1 || { echo "capsicum: missing prerequisite 'go': install Go >= 1.21 (it fetches the go$ARGOCD_GO toolchain itself)" >&2; exit 3; }
command -v git >/dev/null 2>&1 || { echo "capsicum: missing prerequisite 'git': the Argo CD repo-server needs it (apt-get install git)" >&2; exit 3; }

t0=$(date +%s)
export GOTOOLCHAIN="go$ARGOCD_GO" GOFLAGS=-mod=mod CGO_ENABLED=0
mod="github.com/argoproj/argo-cd/v3"
log "downloading $mod@v$ARGOCD_VERSION and go$ARGOCD_GO"
src="$(cd /tmp && go mod download -json "$mod@v$ARGOCD_VERSION" | python3 -c 'import json,sys;print(json.load(sys.stdin)["Dir"])')"
work="$dir/src"
rm -rf "$work" "$dir/bin.tmp"
mkdir -p "$work" "$dir/bin.tmp"
cp -r "$src/." "$work/"
chmod -R u+w "$work"
cd "$work"
# The module replaces gitops-engine with ./gitops-engine, which the zip omits; use the tagged module instead.
go mod edit -dropreplace github.com/argoproj/argo-cd/gitops-engine/v3
# Argo CD needs a Redis; miniredis (already in its module graph, for its own tests) in a tiny main keeps the
# sandbox free of a system redis-server.
mkdir -p capsicum/redis
cat > capsicum/redis/main.go <<'GO'
// In-memory Redis for the capsicum sandbox's Argo CD: `redis ADDR`, runs until killed.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/alicebob/miniredis/v2"
)

func main() {
	addr := "127.0.0.1:6379"
	if len(os.Args) > 1 {
		addr = os.Args[1]
	}
	s := miniredis.NewMiniRedis()
	if err := s.StartAddr(addr); err != nil {
		fmt.Fprintln(os.Stderr, "redis:", err)
		os.Exit(1)
	}
	fmt.Println("redis listening on", s.Addr())
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGINT, syscall.SIGTERM)
	<-c
	s.Close()
}
GO
log "building argocd v$ARGOCD_VERSION with go$ARGOCD_GO (cold: ~8 min on 2 idle cores)"
ldf="-s -w -X $mod/common.version=$ARGOCD_VERSION -X $mod/common.gitTag=v$ARGOCD_VERSION"
go build -trimpath -ldflags "$ldf" -o "$dir/bin.tmp/argocd" ./cmd
go build -trimpath -ldflags "-s -w" -o "$dir/bin.tmp/redis" ./capsicum/redis
# The repo-server execs these for every manifest generation (without them: a misleading "permission denied").
cp hack/git-verify-wrapper.sh hack/gpg-wrapper.sh "$dir/bin.tmp/"
chmod +x "$dir/bin.tmp/"*.sh
rm -rf "$dir/manifests"
mkdir -p "$dir/manifests"
cp -r manifests/crds manifests/base/config "$dir/manifests/"
chmod -R u+w "$dir/manifests"
cd "$dir"
rm -rf "$dir/bin"
mv "$dir/bin.tmp" "$dir/bin"
rm -rf "$work"
log "ready in $(($(date +%s) - t0))s"
echo "argocd=$dir"
