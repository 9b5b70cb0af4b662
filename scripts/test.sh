#!/usr/bin/env bash
# The README's test command (`npm test`): installs what is missing, builds, type-checks,
# lints, checks generated protobuf code, then runs every test tier that this machine can, and
# ends with passed/failed/skipped per tier (scripts/run-jest.js).
source "$(dirname "$0")/lib.sh"
ensure_all
log "type-check (tsc --noEmit per project)"
npx nx run-many -t typecheck --outputStyle=static
npx tsc -p test/tsconfig.json
log "lint (eslint)"
npm run --silent lint
log "generated protobuf code is up to date (proto:check)"
bash scripts/proto-gen.sh --check
tier_gates
log "tests (jest, one project per tier: unit, medium, qemu, e2e, system, chaos; jest.tiers.js)"
exec node scripts/run-jest.js "$@"
