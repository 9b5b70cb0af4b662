#!/usr/bin/env bash
# VM binding through etcd: builds the libs and the controller (the bench loads the real
# VmScheduleReconciler and EtcdStore from apps/controller/dist), then bench/, then runs
# bench/scheduler/etcd-bind.ts. Needs Debian's `etcd` on PATH. Arguments pass through
# (--vms N --nodes N --workers N --seed N --no-batch).
set -euo pipefail
cd "$(dirname "$0")/../.."
for p in libs/domain libs/reconcile libs/proto apps/controller; do npx tsc -p "$p/tsconfig.build.json"; done
npx tsc -p bench/tsconfig.json
exec node bench/dist/scheduler/etcd-bind.js "$@"
