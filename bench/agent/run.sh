#!/usr/bin/env bash
# Node agent benchmark: builds the libs and the agent, then runs bench/agent/agent-bench.js.
# Usage: bash bench/agent/run.sh [--idle-seconds 30] [--settle-seconds 15] [--vms 50] [--runs 1] [--throughput 50,100] [--node-args "..."]
set -euo pipefail
cd "$(dirname "$0")/../.."
for p in libs/domain libs/host libs/reconcile libs/proto libs/pki apps/node-agent; do npx tsc -p "$p/tsconfig.build.json"; done
exec node bench/agent/agent-bench.js "$@"
