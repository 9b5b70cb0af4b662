#!/usr/bin/env bash
# apply -> Running for a burst of VMs on the single-host system (test driver): builds every
# project (hvctl up runs the built controller and agent), compiles bench/, then runs
# bench/apply-burst/apply-burst.ts. Needs Debian's etcd and redis-server.
# Usage: bash bench/apply-burst/run.sh [--vms 100] [--memory 16MiB] [--disk 64MiB] [--keep]
set -euo pipefail
cd "$(dirname "$0")/../.."
npx nx run-many -t build --outputStyle=static >/dev/null
npx tsc -p bench/tsconfig.json
exec node bench/dist/apply-burst/apply-burst.js "$@"
