# Shared shell functions for the README's two commands (scripts/up.sh, scripts/test.sh).
# Each step checks first and does nothing when the machine already has what it needs.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '\033[1m==>\033[0m %s\n' "$*" >&2; }
die() { printf 'HVS-SETUP-%s: %s\n' "$1" "$2" >&2; exit 1; }

# command -> Debian package that provides it
APT_NEEDS=(
  "etcd:etcd-server" "etcdctl:etcd-client" "redis-server:redis-server"
  "libvirtd:libvirt-daemon-system" "virsh:libvirt-clients" "virt-xml-validate:libvirt-clients"
  "qemu-system-x86_64:qemu-system-x86" "qemu-img:qemu-utils" "nft:nftables" "protoc:protobuf-compiler"
  "ip:iproute2" "xmllint:libxml2-utils" "curl:curl" "g++:g++" "make:make" "python3:python3"
  # Networks (a dnsmasq per Network and node), cloud-init seed ISOs, the quickstart's local guest image.
  "dnsmasq:dnsmasq-base" "genisoimage:genisoimage" "debootstrap:debootstrap" "bridge:iproute2"
  # The local Debian image boots from its own disk: extlinux writes its boot sector (scripts/guest-image).
  "extlinux:extlinux"
  # The guest-OS system tests log into the guest (ssh-keygen makes the test's key).
  "ssh:openssh-client" "ssh-keygen:openssh-client"
)

# The supported lines are package.json's engines.node (docs/adr/0005-supported-node-lines.md).
ensure_node() {
  command -v node >/dev/null || die NODE-MISSING "node is not installed; fix: install Node.js of a supported line (package.json engines; Debian: apt-get install nodejs npm, or NodeSource)"
  node "$ROOT/scripts/node-lines.js" || exit 1
}

ensure_apt() {
  local missing=() pair cmd pkg
  for pair in "${APT_NEEDS[@]}"; do
    cmd=${pair%%:*}; pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("$pkg")
  done
  # libvirt-dev has no command: check its pkg-config file (the node binding builds against it).
  [ -f /usr/include/libvirt/libvirt.h ] || missing+=(libvirt-dev)
  # Debian's grpcio for /usr/bin/python3: the tests' non-TypeScript client (test/clients/python).
  [ -d /usr/lib/python3/dist-packages/grpc ] || missing+=(python3-grpcio)
  [ ${#missing[@]} -eq 0 ] && return 0
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
  if [ "$(id -u)" -ne 0 ]; then
    die APT-MISSING "missing Debian packages: ${missing[*]}; fix: sudo apt-get install -y ${missing[*]} (then run this command again)"
  fi
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die APT-UPDATE "apt-get update failed; fix: check /etc/apt/sources.list and network access to the Debian mirror"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" libvirt-dev >/dev/null ||
    die APT-INSTALL "apt-get install ${missing[*]} failed (see the output above); fix: run it by hand to see why"
}

ensure_npm() {
  # npm ci when node_modules is missing or older than the lock file.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    log "installing npm packages (npm ci)"
    npm ci --no-audit --no-fund || die NPM-CI "npm ci failed (see above); fix: check access to the npm registry, then run again"
  fi
}

ensure_built() {
  log "building (nx run-many -t build)"
  npx nx run-many -t build --outputStyle=static >/dev/null || {
    npx nx run-many -t build --outputStyle=stream; die BUILD "the build failed (output above)"; }
}

ensure_all() { ensure_node; ensure_apt; ensure_npm; ensure_built; }

# The gated tiers (docs/system-tests.md#test-tiers): the real-QEMU tier (HVS_TEST_QEMU) needs
# root, libvirtd and qemu-system-x86_64; the system and chaos tiers (HVS_TEST_SYSTEM) also a
# working `ip netns`. They run by default where this machine can run them; an explicit 0 or 1 in
# the environment wins. HVS_MACHINE_TIERS names the gated tiers this machine can run, whatever
# the environment says: under CI=true, scripts/run-jest.js fails the run when one of them was skipped.
tier_gates() {
  local why='' netns_why=''
  if [ "$(id -u)" -ne 0 ]; then why='not root (they start libvirtd and QEMU)'
  elif ! command -v qemu-system-x86_64 >/dev/null; then why='qemu-system-x86_64 missing'
  elif [ ! -x /usr/sbin/libvirtd ]; then why='libvirtd missing'
  elif ! ip netns list >/dev/null 2>&1; then netns_why='ip netns does not work here'
  fi
  HVS_MACHINE_TIERS=''
  [ -z "$why" ] && HVS_MACHINE_TIERS='qemu'
  [ -z "$why$netns_why" ] && HVS_MACHINE_TIERS='qemu system chaos'
  export HVS_MACHINE_TIERS
  if [ -z "${HVS_TEST_QEMU:-}" ]; then
    if [ -z "$why" ]; then export HVS_TEST_QEMU=1; else export HVS_TEST_QEMU=0; fi
  fi
  if [ -z "${HVS_TEST_SYSTEM:-}" ]; then
    if [ -z "$why$netns_why" ]; then export HVS_TEST_SYSTEM=1; else export HVS_TEST_SYSTEM=0; fi
  fi
  why="${why:-$netns_why}"
  log "gated tiers this machine can run: ${HVS_MACHINE_TIERS:-none}${why:+ (not the others: $why)}; HVS_TEST_QEMU=$HVS_TEST_QEMU, HVS_TEST_SYSTEM=$HVS_TEST_SYSTEM"
}
