#!/usr/bin/env bash
# Pure scheduler benchmark: builds libs/domain (the bench imports @hvs/domain from its dist,
# as the apps do) and bench/, then runs bench/scheduler/pure.ts. Arguments pass through
# (--nodes N --vms N --seed N --oneshot N).
set -euo pipefail
cd "$(dirname "$0")/../.."
npx tsc -p libs/domain/tsconfig.build.json
npx tsc -p bench/tsconfig.json
exec node bench/dist/scheduler/pure.js "$@"
