#!/usr/bin/env bash
# Live-migration benchmark: N migrations of the tiny TCG guest back and forth between the two
# libvirt hosts of test/harness/two-hosts.ts. Builds the libs and the agent (the bench drives the
# built LibvirtDriver) and compiles the two-host harness into bench/dist/migration-lab.
# Needs root, libvirtd, qemu-system-x86_64, ip netns (see docs/system-tests.md).
# Usage: bash bench/migration/run.sh [--runs 10] [--copy-storage] [--max-downtime 100] [--memory 128] [--xml tiny] [--trace] ...
# (all options: the header of migration-bench.js). HVS_BENCH_NO_BUILD=1 skips the build (A/B series).
set -euo pipefail
cd "$(dirname "$0")/../.."
if [ -z "${HVS_BENCH_NO_BUILD:-}" ]; then
for p in libs/domain libs/host libs/reconcile apps/node-agent; do npx tsc -p "$p/tsconfig.build.json"; done
npx tsc -p bench/migration/tsconfig.lab.json
fi
exec node bench/migration/migration-bench.js "$@"
