#!/usr/bin/env bash
# Per-call cost of NodeCertificates.verify (the revocation check of every node call) against a
# real etcd started by the test harness. Prints figures; asserts nothing.
# Usage: bash bench/pki/run.sh [calls, default 2000]
set -euo pipefail
cd "$(dirname "$0")/../.."
HVS_PKI_BENCH_CALLS="${1:-2000}" exec npx jest -c bench/pki/jest.config.js --verbose=false
