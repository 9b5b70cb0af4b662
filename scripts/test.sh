#!/usr/bin/env bash
# The README's test command (`npm test`): installs what is missing, builds, type-checks,
# lints, checks generated protobuf code, then runs every test tier that this machine can.
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
# The second Node line first, so that the main run's summary stays the last line (CI reads it);
# its failure fails npm test, but the main run still runs. docs/adr/0005-supported-node-lines.md
log "tests on the second Node line (scripts/second-node.js; HVS_TEST_SECOND_NODE=0 skips it outside CI)"
second=0
node scripts/second-node.js "$@" || second=$?
log "tests (jest: unit, contract, integration, e2e, system)"
main=0
node scripts/run-jest.js "$@" || main=$?
[ "$second" -eq 0 ] || echo "HVS-TEST-SECOND-NODE-FAILED: the tests on the second Node line failed (its output is above the main run's)" >&2
[ "$main" -ne 0 ] && exit "$main"
exit "$second"
