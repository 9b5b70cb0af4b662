#!/usr/bin/env bash
# The README's first command (`npm start`): installs what is missing, builds, brings up the
# single-host system (`hvctl up`), imports the guest image (the local Debian image, built once,
# on a real hypervisor; an 8 MiB placeholder on the test driver, saying so), applies
# examples/quickstart.yaml, waits until both VMs run, and shows them and how to SSH in. Running it again is harmless: `hvctl up` starts nothing when the
# system is healthy, and the quickstart is applied again only when that changes nothing
# but creating what is missing (edits a user made to demo-1/demo-2 are never reverted).
#
# Environment (all optional):
#   HVS_DATA_DIR=DIR      data dir (default: what hvctl chooses, /var/lib/hvs as root)
#   HVS_PORTS=auto        free loopback ports instead of the fixed defaults
#   HVS_HYPERVISOR=MODE   auto (default), kvm, qemu or test
#   HVS_CONFIG=FILE       hvctl's contexts file (default ~/.config/hvs/config.yaml)
#   HVS_IMAGE_CACHE=DIR   where the Debian image is built and kept (default /var/cache/hvs/images)
# A failed step prints its name, the error and the fix (docs/quickstart.md#troubleshooting).
source "$(dirname "$0")/lib.sh"
ensure_all

# `npx hvctl` from the checkout: npm ci links a workspace's bin only when its target exists,
# and on a fresh clone apps/hvctl/dist/main.js is built after npm ci. Link it now (no scripts run).
if [ ! -e node_modules/.bin/hvctl ]; then
  npm rebuild @hvs/hvctl --ignore-scripts --offline --no-audit --no-fund >/dev/null 2>&1 ||
    log "could not link node_modules/.bin/hvctl (npx hvctl will not work; the alias below does)"
fi

HVCTL=(node "$ROOT/apps/hvctl/dist/main.js")
QUICKSTART="$ROOT/examples/quickstart.yaml"
TROUBLE="docs/quickstart.md#troubleshooting"

data_args=()
[ -n "${HVS_DATA_DIR:-}" ] && data_args=(--data-dir "$HVS_DATA_DIR")
up_args=("${data_args[@]}")
case "${HVS_PORTS:-}" in
  '') ;;
  auto) up_args+=(--ports auto) ;;
  *) die PORTS-INVALID "HVS_PORTS=${HVS_PORTS} is not understood; fix: HVS_PORTS=auto npm start (or leave it unset for the default ports)" ;;
esac
[ -n "${HVS_HYPERVISOR:-}" ] && up_args+=(--hypervisor "$HVS_HYPERVISOR")
DATA_DIR="${HVS_DATA_DIR:-$(node -e 'console.log(require(process.argv[1]).defaultDataDir(process.env))' "$ROOT/apps/hvctl/dist/commands/local.js")}"

# The section of docs/quickstart.md that explains an error code in hvctl's output.
fix_for() {
  case "$1" in
    *HVS-UP-PORT-IN-USE*) echo "stop what uses the port, or let hvctl pick free ports: HVS_PORTS=auto npm start; see docs/quickstart.md#ports-in-use" ;;
    *HVS-UP-ETCD-MISSING*|*HVS-UP-REDIS-MISSING*|*HVS-UP-NOT-BUILT*) echo "install/build what is missing (the message says how); see docs/quickstart.md#missing-programs-or-build-output" ;;
    *HVS-UP-DATA-DIR-NOT-WRITABLE*|*HVS-UP-BUSY*) echo "as the message says, or choose another folder: HVS_DATA_DIR=DIR npm start; see docs/quickstart.md#data-dir-not-writable-or-busy" ;;
    *HVS-UP-AGENT-*) echo "read the agent's log named above; see docs/quickstart.md#agent-not-ready" ;;
    *HVS-UP-*) echo "read the component's log named above; see $TROUBLE" ;;
    *HVS-CLI-CONTROLLER-UNREACHABLE*|*HVS-CLI-CONTROLLER-TIMEOUT*) echo "check \`hvctl status\` and run \`npm start\` again; see docs/quickstart.md#controller-unreachable" ;;
    *HVS-CLI-WAIT-*) echo "\`hvctl describe vm demo-1\` says why (unschedulable reasons, conditions); see docs/quickstart.md#vm-stuck-pending" ;;
    *) echo "see $TROUBLE" ;;
  esac
}

# step NAME CMD...: runs CMD showing its output as it comes; on failure prints which step
# failed, the error lines, and the fix, then exits 1.
exec 3>&1
step() {
  local name=$1 out rc=0; shift
  log "$name"
  # Copy each line to fd 3 (the terminal) and keep it for the error summary. Not `tee
  # /dev/fd/3`: when stdout is a file, reopening it truncates it.
  out=$("$@" 2>&1 | while IFS= read -r line || [ -n "$line" ]; do printf '%s\n' "$line" >&3; printf '%s\n' "$line"; done
        exit "${PIPESTATUS[0]}") || rc=$?
  [ "$rc" -eq 0 ] && return 0
  {
    printf '\nnpm start failed at step "%s" (exit code %s).\n' "$name" "$rc"
    local lines; lines=$(grep -E 'HVS-[A-Z0-9-]+' <<<"$out" | head -5 || true)
    printf '%s\n' "${lines:-$(tail -5 <<<"$out")}"
    printf 'fix: %s\n' "$(fix_for "$out")"
    printf 'logs: %s/logs/ (etcd.log, redis.log, controller.log, agent.log)\n' "$DATA_DIR"
  } >&2
  exit 1
}

step "hvctl up${up_args[*]:+ ${up_args[*]}}" "${HVCTL[@]}" up "${up_args[@]}"

# The quickstart's guest OS (docs/quickstart.md#the-guest-os): on a real hypervisor the local
# Debian 12 cloud image (built once with debootstrap, cached); on libvirt's test driver nothing
# would boot it, so a few-MiB placeholder stands in and we say so.
json_field() { node -e 'let v;try{v=JSON.parse(require("fs").readFileSync(0,"utf8"))}catch{}for(const k of process.argv[1].split("."))v=v?.[k];console.log(v??"")' "$1"; }
MODE=$("${HVCTL[@]}" get nodes -o json 2>/dev/null | json_field items.0.status.hypervisor.mode)
IMAGE_CACHE="${HVS_IMAGE_CACHE:-/var/cache/hvs/images}"
if [ -n "$("${HVCTL[@]}" get image debian-12 -o json 2>/dev/null | json_field status.phase)" ]; then
  log "image debian-12 already imported (\`hvctl get image debian-12\`)"
elif [ "$MODE" = test ]; then
  PLACEHOLDER="$DATA_DIR/quickstart/placeholder.qcow2"
  mkdir -p "$DATA_DIR/quickstart"
  [ -f "$PLACEHOLDER" ] || qemu-img create -q -f qcow2 "$PLACEHOLDER" 8M
  SIMULATED="the node runs libvirt's test driver (no libvirtd here), so no guest really boots: the Debian image was NOT built; image debian-12 is an empty 8 MiB qcow2 placeholder ($PLACEHOLDER) and demo-1/demo-2 only pretend to run it"
  log "$SIMULATED"
  step "hvctl image import (placeholder)" "${HVCTL[@]}" image import "$PLACEHOLDER" --name debian-12
else
  step "build the Debian 12 image (once; cached in $IMAGE_CACHE)" bash "$ROOT/scripts/guest-image/build-debian.sh"
  step "hvctl image import $IMAGE_CACHE/debian-12-hvs.qcow2 --name debian-12" "${HVCTL[@]}" image import "$IMAGE_CACHE/debian-12-hvs.qcow2" --name debian-12
fi
# On a real hypervisor the VMs get the user's SSH key (hvctl says which ~/.ssh/*.pub it took).
apply_args=()
[ "$MODE" = test ] || apply_args=(--ssh-key auto)

# Apply the quickstart unless that would change objects that already exist (a user's edits).
# (With the same --ssh-key, so the keys it adds do not count as an edit.)
plan_rc=0
plan=$("${HVCTL[@]}" plan -f "$QUICKSTART" "${apply_args[@]}" -o json 2>/dev/null) || plan_rc=$?
if [ "$plan_rc" -eq 1 ]; then
  step "hvctl plan -f examples/quickstart.yaml" "${HVCTL[@]}" plan -f "$QUICKSTART" "${apply_args[@]}"
fi
edited=$(node -e 'let p;try{p=JSON.parse(require("fs").readFileSync(0,"utf8"))}catch{p={objects:[]}}console.log(p.objects.filter(o=>o.action==="update"||o.action==="delete").map(o=>o.kind+"/"+o.name).join(" "))' <<<"$plan")
if [ -n "$edited" ]; then
  log "not applying examples/quickstart.yaml: it would change ${edited} (edited since?); \`hvctl plan -f examples/quickstart.yaml\` shows how"
else
  step "hvctl apply -f examples/quickstart.yaml${apply_args[*]:+ ${apply_args[*]}} --wait --timeout 3m" "${HVCTL[@]}" apply -f "$QUICKSTART" "${apply_args[@]}" --wait --timeout 3m
fi
step "hvctl get vms -o wide" "${HVCTL[@]}" get vms -o wide

# How to reach demo-1: its reserved address on the nat network, which lives on this host.
DEMO_IP=$("${HVCTL[@]}" get vm demo-1 -o json 2>/dev/null | json_field status.interfaces.0.ipv4)
if [ "$MODE" = test ]; then
  ssh_note="Simulated: ${SIMULATED:-the node runs the libvirt test driver, so no guest really boots}.
No SSH on the test driver; on a host with libvirtd the same npm start boots Debian (docs/quickstart.md#the-guest-os)."
else
  ssh_note="SSH into demo-1 from this host (the nat network is local to it): ssh debian@${DEMO_IP:-<its IP: hvctl get vm demo-1 -o wide>}
(the first boot takes seconds with KVM, about 2 minutes under QEMU emulation; cloud-init adds your key)"
fi

down_cmd="hvctl down${HVS_DATA_DIR:+ --data-dir $HVS_DATA_DIR}"
config_note=""
[ -n "${HVS_CONFIG:-}" ] && config_note="Contexts file: HVS_CONFIG=${HVS_CONFIG} (export it in the shell where you run hvctl)
"
cat <<MSG

Hypervisor Suite is up. Data and logs: ${DATA_DIR} (logs/etcd.log, redis.log, controller.log, agent.log)
Run hvctl from this checkout:   npx hvctl get vms
or from anywhere, after:        alias hvctl="node ${ROOT}/apps/hvctl/dist/main.js"
${ssh_note}
Try:   hvctl get vms -o wide; hvctl describe vm demo-1; hvctl plan -f examples/quickstart.yaml
Stop:  ${down_cmd}   (add --stop-vms to stop the VMs first; data stays in ${DATA_DIR})
${config_note}Guide: docs/quickstart.md
MSG
