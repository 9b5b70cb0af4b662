#!/usr/bin/env bash
# Guest benchmark: launch -> DHCP lease and launch -> SSH answering for the local Debian cloud
# image (scripts/guest-image/build-debian.sh) on QEMU/TCG in a lab host (test/harness/two-hosts),
# N runs, p50/p95. Needs root, libvirtd, qemu, ip netns, dnsmasq, ssh. Prints figures; asserts
# nothing. Usage: bash bench/guest/run.sh [runs, default 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
HVS_TEST_SYSTEM=1 HVS_GUEST_BENCH_RUNS="${1:-5}" exec npx jest -c bench/guest/jest.config.js --verbose=false
