#!/usr/bin/env bash
# Image cache benchmark: builds the libs and the agent, then runs bench/images/images-bench.js.
# Usage: bash bench/images/run.sh [--mib 256] [--runs 3] [--disks 20]
set -euo pipefail
cd "$(dirname "$0")/../.."
for p in libs/domain libs/reconcile libs/proto libs/pki apps/node-agent; do npx tsc -p "$p/tsconfig.build.json"; done
exec node bench/images/images-bench.js "$@"
