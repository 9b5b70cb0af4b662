#!/usr/bin/env bash
# HA benchmark: failure detection and HA restart times on the chaos lab (test/chaos/lab.ts):
# 3 agents in network namespaces, libvirt test driver, default timings. Needs root, ip netns,
# curl and etcd. Prints figures; asserts nothing. Usage: bash bench/ha/run.sh [runs, default 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
HVS_TEST_SYSTEM=1 HVS_HA_BENCH_RUNS="${1:-5}" exec npx jest -c bench/ha/jest.config.js --verbose=false
