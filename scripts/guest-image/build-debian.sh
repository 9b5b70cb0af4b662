#!/usr/bin/env bash
# Builds (once, cached) the small Debian 12 cloud image the quickstart and the system tier boot
# offline: debootstrap from the Debian mirror this host already uses, cloud-init (NoCloud),
# openssh-server, qemu-guest-agent, and extlinux on a whole-disk ext4 so it boots from its own
# disk (no spec.boot). docs/images.md#building-the-local-debian-image says why this shape.
#
#   scripts/guest-image/build-debian.sh            -> prints IMAGE=<path> and SHA256=<hex>
#   HVS_IMAGE_CACHE=/some/dir scripts/guest-image/build-debian.sh
#
# It writes only into the cache dir (default /var/cache/hvs/images) and a temp dir it removes on
# exit; everything it mounts (the chroot's /proc and /sys, the loop mount of the disk) is
# unmounted by the exit trap, also on failure or Ctrl-C.
set -euo pipefail
# shellcheck source=../lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/lib.sh"

CACHE="${HVS_IMAGE_CACHE:-/var/cache/hvs/images}"
NAME=debian-12-hvs
OUT="$CACHE/$NAME.qcow2"
SUITE=bookworm
# The virtual size of the root filesystem; a VM disk made from the image may be larger
# (cloud-init's resize_rootfs grows the filesystem to the disk at first boot).
FS_SIZE=2G
LABEL=hvs-root
PACKAGES=(linux-image-cloud-amd64 cloud-init openssh-server qemu-guest-agent systemd-sysv ifupdown
  isc-dhcp-client netbase udev sudo iputils-ping)

if [ -s "$OUT" ] && [ -s "$OUT.sha256" ]; then
  log "cached: $OUT (remove it to rebuild)"
  echo "IMAGE=$OUT"
  echo "SHA256=$(cut -d' ' -f1 "$OUT.sha256")"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die IMAGE-NOT-ROOT "building the Debian image needs root (debootstrap, chroot, a loop mount); fix: run it as root (sudo $0)"
for pair in debootstrap:debootstrap mkfs.ext4:e2fsprogs extlinux:extlinux qemu-img:qemu-utils losetup:mount; do
  command -v "${pair%%:*}" >/dev/null || [ -x "/usr/sbin/${pair%%:*}" ] ||
    die IMAGE-TOOL-MISSING "${pair%%:*} is not installed; fix: apt-get install -y ${pair#*:} (or run npm start, which installs it)"
done

# The mirror this host already uses (deb822 first, then the one-line format).
mirror() {
  local uri=''
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ {for (i = 2; i <= NF; i++) if ($i !~ /security/) {print $i; exit}}' /etc/apt/sources.list.d/debian.sources)
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1 == "deb" && $0 !~ /security/ {for (i = 2; i <= NF; i++) if ($i ~ /^https?:/) {print $i; exit}}' /etc/apt/sources.list)
  fi
  printf '%s' "${HVS_DEBIAN_MIRROR:-$uri}"
}
MIRROR=$(mirror)
[ -n "$MIRROR" ] || die IMAGE-NO-MIRROR "no Debian mirror found in /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list; fix: set HVS_DEBIAN_MIRROR=http://deb.debian.org/debian (or your mirror)"

mkdir -p "$CACHE" || die IMAGE-CACHE "cannot create $CACHE; fix: create it or set HVS_IMAGE_CACHE to a writable dir"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hvs-debian-image.XXXXXX")
ROOTFS="$WORK/rootfs"
MNT="$WORK/mnt"
cleanup() {
  local rc=$? m
  # Innermost first; lazy only as a last resort, so that rm never follows a live mount.
  for m in "$ROOTFS/proc" "$ROOTFS/sys" "$MNT"; do
    mountpoint -q "$m" 2>/dev/null && { umount "$m" 2>/dev/null || umount -l "$m"; }
  done
  if grep -qF " $WORK/" /proc/mounts; then
    printf 'HVS-SETUP-IMAGE-CLEANUP: something is still mounted under %s; fix: umount it, then rm -rf %s\n' "$WORK" "$WORK" >&2
  else
    rm -rf --one-file-system "$WORK"
  fi
  exit "$rc"
}
trap cleanup EXIT INT TERM

START=$(date +%s)
step() { log "$* (+$(( $(date +%s) - START )) s)"; }
step "debootstrap --variant=minbase $SUITE from $MIRROR into $ROOTFS"
debootstrap --variant=minbase "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
  { tail -20 "$WORK/debootstrap.log" >&2; die IMAGE-DEBOOTSTRAP "debootstrap $SUITE from $MIRROR failed (log above); fix: check that the mirror is reachable (apt-get update), or set HVS_DEBIAN_MIRROR"; }

mount -t proc proc "$ROOTFS/proc"
mount -t sysfs sysfs "$ROOTFS/sys"
# No daemon may start inside the chroot (it would outlive this script on the host).
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"
in_root() { LC_ALL=C DEBIAN_FRONTEND=noninteractive chroot "$ROOTFS" "$@"; }
step "apt-get install --no-install-recommends ${PACKAGES[*]}"
{ in_root apt-get update -qq && in_root apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}"; } >"$WORK/apt.log" 2>&1 ||
  { tail -20 "$WORK/apt.log" >&2; die IMAGE-APT "apt-get install in the image failed (log above); fix: check the mirror ($MIRROR), then run again"; }

step "configuring cloud-init (NoCloud), ssh, qemu-guest-agent, networking, extlinux"
cat >"$ROOTFS/etc/cloud/cloud.cfg.d/90-hvs.cfg" <<'EOF'
# Hypervisor Suite: the seed ISO labelled cidata (NoCloud); nothing else is ever probed.
datasource_list: [ NoCloud, None ]
# Under TCG every key costs seconds before sshd may start; ed25519 + ecdsa suit every current client.
ssh_genkeytypes: [ ed25519, ecdsa ]
# The image has no locales package: C.UTF-8 is built in (en_US.UTF-8 would fail to generate).
locale: C.UTF-8
EOF
cat >"$ROOTFS/etc/fstab" <<EOF
LABEL=$LABEL / ext4 defaults,errors=remount-ro 0 1
EOF
cat >"$ROOTFS/etc/network/interfaces" <<'EOF'
# cloud-init writes the NICs (from the seed's network-config, or DHCP on the first NIC).
auto lo
iface lo inet loopback
source /etc/network/interfaces.d/*
EOF
echo debian >"$ROOTFS/etc/hostname"
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$ROOTFS/etc/hosts"
# qemu-guest-agent needs no enabling: udev starts it when the VM has its virtio-serial channel.
in_root systemctl enable ssh.service >/dev/null 2>&1
# Every VM gets its own identity: host keys (cloud-init regenerates them), machine-id (systemd).
rm -f "$ROOTFS"/etc/ssh/ssh_host_*
: >"$ROOTFS/etc/machine-id"
rm -f "$ROOTFS/var/lib/dbus/machine-id"
mkdir -p "$ROOTFS/boot/extlinux"
cat >"$ROOTFS/boot/extlinux/extlinux.conf" <<EOF
# The kernel package keeps /vmlinuz and /initrd.img pointing at the newest kernel.
DEFAULT debian
PROMPT 0
TIMEOUT 0
LABEL debian
  LINUX /vmlinuz
  INITRD /initrd.img
  APPEND root=LABEL=$LABEL ro console=tty0 console=ttyS0,115200n8 quiet
EOF
rm -f "$ROOTFS/usr/sbin/policy-rc.d"
in_root apt-get clean
rm -rf "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/log/*.log "$ROOTFS"/var/cache/debconf/*-old
umount "$ROOTFS/proc" "$ROOTFS/sys"

step "mkfs.ext4 -d (whole-disk, $FS_SIZE) and extlinux"
RAW="$WORK/disk.raw"
truncate -s "$FS_SIZE" "$RAW"
mkfs.ext4 -q -F -L "$LABEL" -d "$ROOTFS" "$RAW" ||
  die IMAGE-MKFS "mkfs.ext4 -d failed; fix: check free space in ${TMPDIR:-/tmp} (about 2 GiB needed)"
mkdir -p "$MNT"
mount -o loop "$RAW" "$MNT" ||
  die IMAGE-LOOP "cannot loop-mount the image; fix: load the loop module (modprobe loop) or run on a host that allows loop devices"
extlinux --install "$MNT/boot/extlinux" >"$WORK/extlinux.log" 2>&1 ||
  { cat "$WORK/extlinux.log" >&2; die IMAGE-EXTLINUX "extlinux --install failed (above); fix: apt-get install -y extlinux, then run again"; }
umount "$MNT"

step "qemu-img convert -O qcow2 -c"
TMP_OUT="$CACHE/.$NAME.qcow2.partial"
qemu-img convert -q -O qcow2 -c "$RAW" "$TMP_OUT"
DIGEST=$(sha256sum "$TMP_OUT" | cut -d' ' -f1)
mv -f "$TMP_OUT" "$OUT"
echo "$DIGEST  $NAME.qcow2" >"$OUT.sha256"
log "built $OUT ($(du -m "$OUT" | cut -f1) MiB on disk) in $(( $(date +%s) - START )) s"
echo "IMAGE=$OUT"
echo "SHA256=$DIGEST"
