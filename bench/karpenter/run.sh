#!/usr/bin/env bash
# Runs Karpenter's own scheduling benchmark (sigs.k8s.io/karpenter
# pkg/controllers/provisioning/scheduling/scheduling_benchmark_test.go) so its pods/s can be set beside capsicum's.
# The module source is copied out of the Go module cache into a writable cache dir outside the repo and the
# compiled test binary is cached there, keyed by version: only the first run pays the (slow) Go build.
#
# The benchmark uses controller-runtime's fake client and fake.InstanceTypes(400), so it needs no
# kube-apiserver/etcd (no KUBEBUILDER_ASSETS); `-test.run '^$'` keeps the envtest-backed Ginkgo suite from running.
#
# Env:
#   KARPENTER_VERSION   module version (default v1.14.1: newest v1.x whose go.mod accepts Go 1.26.8;
#                       v1.14.3 needs 1.26.10, v1.15.0 needs 1.26.9)
#   KARPENTER_BENCH     -test.bench regex (default: the 1/50/100/1000/5000-pod "diverse" benchmarks (the sizes
#                       bench/scheduling.bench.ts uses, plus 50 for the per-solve fixed cost), and the two 4000-pod
#                       preference benchmarks)
#   KARPENTER_BENCHTIME -test.benchtime (default 3x: three Solve() calls per size after Go's b.N=1 probe)
#   GOMAXPROCS          default 2 (this machine's cores)
#   CAPSICUM_CACHE      default ~/.cache/capsicum
# Output: Go's raw benchmark lines on stdout (parse with bench/karpenter/parse.ts); progress on stderr.
set -euo pipefail
version="${KARPENTER_VERSION:-v1.14.1}"
bench="${KARPENTER_BENCH:-^Benchmark(Scheduling(1|50|100|1000|5000)|RespectPreferences|IgnorePreferences)\$}"
benchtime="${KARPENTER_BENCHTIME:-3x}"
cache="${CAPSICUM_CACHE:-$HOME/.cache/capsicum}/karpenter-$version"
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0 GOMAXPROCS="${GOMAXPROCS:-2}"
log() { echo "[karpenter-bench] $*" >&2; }
command -v go >/dev/null 2>&1 || { echo "karpenter-bench: 'go' not found: install Go >= 1.26 and re-run" >&2; exit 3; }

bin="$cache/scheduling.test"
if [ ! -x "$bin" ]; then
  t0=$(date +%s)
  src="$cache/src"
  if [ ! -f "$src/go.mod" ]; then
    log "fetching sigs.k8s.io/karpenter@$version from the Go module proxy"
    dir="$(go mod download -json "sigs.k8s.io/karpenter@$version" | python3 -c '
import json, sys
d = json.load(sys.stdin)
if d.get("Error"): sys.exit("go mod download: " + d["Error"])
print(d["Dir"])')"
    rm -rf "$src"; mkdir -p "$cache"
    # The module cache is read-only; the copy must be writable so `go test` may update go.sum.
    cp -r "$dir" "$src.tmp" && chmod -R u+w "$src.tmp" && mv "$src.tmp" "$src"
  fi
  log "compiling the scheduling benchmark (cold build: several minutes on 2 cores)"
  (cd "$src" && nice -n 10 go test -p 1 -c -tags test_performance -o "$bin.tmp" ./pkg/controllers/provisioning/scheduling/)
  mv "$bin.tmp" "$bin"
  log "built $bin in $(( $(date +%s) - t0 ))s"
fi

log "running $bench (benchtime $benchtime, GOMAXPROCS=$GOMAXPROCS)"
# The benchmark writes no files, but run it from a scratch dir anyway so nothing lands in the repo.
cd "$cache"
"$bin" -test.run '^$' -test.bench "$bench" -test.benchtime "$benchtime" -test.benchmem
