#!/usr/bin/env bash
# `npm run setup`: installs what is missing (Debian packages, npm packages) and builds, without
# starting anything. `npm start` and `npm test` do the same first; this is for a developer who
# wants the tools without the running system.
source "$(dirname "$0")/lib.sh"
ensure_all
log "set up: Debian packages, node_modules and dist/ are in place (npm start brings the system up)"
