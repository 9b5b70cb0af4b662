#!/bin/bash
# Builds the tiny test guest (a stock Debian kernel + a busybox initrd) into a cache dir and prints
# the two paths as `KERNEL=...` and `INITRD=...`. Idempotent: a complete cache is reused as is.
# The guest's /init prints HVS_GUEST_BOOTED, then `tick N` every second on the serial console.
# With `hvs.net=1` on the kernel command line it also loads virtio-net (the modules ride in the
# initrd: Debian builds them as modules) and every 3 s asks DHCP for eth0's address, printing
# `HVS_GUEST_DHCP round=N ip=A.B.C.D` (or `ip=none`); with `hvs.ping=A.B.C.D` it then pings that
# address once, printing `HVS_GUEST_PING round=N to=A.B.C.D ok|fail`. Each round is a fresh
# DHCP exchange, so a migrated guest shows which address the new node's DHCP gives it.
# Cache: $HVS_GUEST_CACHE, default ~/.cache/hvs/guest. Needs apt-get (registry access) and dpkg-deb.
set -euo pipefail
CACHE=${HVS_GUEST_CACHE:-$HOME/.cache/hvs/guest}
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9   # two test runs may build at once; one builds, the other reuses

# Bumped whenever the initrd's content changes: an older cache is rebuilt.
VERSION=2
if [ ! -s "$CACHE/vmlinuz" ] || [ ! -s "$CACHE/initrd.gz" ] || [ "$(cat "$CACHE/version" 2>/dev/null)" != "$VERSION" ]; then
  WORK=$(mktemp -d "$CACHE/build.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  cd "$WORK"
  KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  if [ -z "$KPKG" ]; then
    echo "HVS-GUEST-KERNEL: no linux-image-<version>-amd64 known to apt; fix: run 'apt-get update'" >&2
    exit 1
  fi
  apt-get -o APT::Sandbox::User=root download -q "$KPKG" busybox-static >/dev/null
  mkdir -p kroot bb root/bin root/proc root/sys root/dev root/lib/modules
  dpkg-deb -x "$KPKG"_*.deb kroot
  dpkg-deb -x busybox-static_*.deb bb
  cp bb/bin/busybox root/bin/busybox
  # virtio-net and what it needs, in load order (/init insmods them; no depmod in the guest).
  for m in drivers/virtio/virtio_ring drivers/virtio/virtio drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci_legacy_dev \
      drivers/virtio/virtio_pci net/core/failover drivers/net/net_failover drivers/net/virtio_net; do
    cp kroot/lib/modules/*/kernel/"$m".ko root/lib/modules/
  done
  # udhcpc's hook: puts the lease's address on the interface and reports it.
  cat > root/bin/dhcp-hook <<'HOOK'
#!/bin/busybox sh
case "$1" in
  bound|renew) ip addr flush dev "$interface"; ip addr add "$ip/${mask:-24}" dev "$interface"; echo "$ip" > /tmp/dhcp-ip ;;
esac
HOOK
  chmod +x root/bin/dhcp-hook
  cat > root/init <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo "HVS_GUEST_BOOTED uptime=$(cut -d' ' -f1 /proc/uptime) kernel=$(uname -r)"
net=; target=
for a in $(cat /proc/cmdline); do
  case "$a" in hvs.net=*) net=${a#hvs.net=} ;; hvs.ping=*) target=${a#hvs.ping=} ;; esac
done
if [ "$net" = 1 ]; then
  mkdir -p /tmp
  for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci failover net_failover virtio_net; do
    insmod /lib/modules/$m.ko
  done
  (
    r=0
    while true; do
      r=$((r+1)); rm -f /tmp/dhcp-ip
      ip link set lo up; ip link set eth0 up
      udhcpc -i eth0 -f -q -n -t 3 -T 1 -s /bin/dhcp-hook >/dev/null 2>&1
      echo "HVS_GUEST_DHCP round=$r ip=$(cat /tmp/dhcp-ip 2>/dev/null || echo none)"
      if [ -n "$target" ]; then
        if ping -c 1 -W 2 "$target" >/dev/null 2>&1; then p=ok; else p=fail; fi
        echo "HVS_GUEST_PING round=$r to=$target $p"
      fi
      sleep 3
    done
  ) &
fi
i=0
while true; do i=$((i+1)); echo "tick $i"; sleep 1; done
INIT
  chmod +x root/init
  # Debian 12 hosts have no cpio binary: busybox's applet writes the newc archive.
  (cd root && find . | ../bb/bin/busybox cpio -o -H newc 2>/dev/null | gzip -6 > ../initrd.gz)
  cp kroot/boot/vmlinuz-* vmlinuz.new && mv vmlinuz.new "$CACHE/vmlinuz.tmp"
  mv initrd.gz "$CACHE/initrd.gz.tmp"
  mv "$CACHE/vmlinuz.tmp" "$CACHE/vmlinuz"
  mv "$CACHE/initrd.gz.tmp" "$CACHE/initrd.gz"
  echo "$VERSION" > "$CACHE/version"
fi
echo "KERNEL=$CACHE/vmlinuz"
echo "INITRD=$CACHE/initrd.gz"
