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
# A subset on the second Node line, a gate like the ones above (about a minute; a failure stops
# here), so the main run's summary stays the last line, the one CI reads. docs/adr/0005-supported-node-lines.md
log "tests on the second Node line (scripts/second-node.js; HVS_TEST_SECOND_NODE=0 skips it outside CI)"
node scripts/second-node.js "$@"

tier_gates
log "tests (jest, one project per tier: unit, medium, qemu, e2e, system, chaos; jest.tiers.js)"
exec node scripts/run-jest.js "$@"
