#!/bin/bash
# Builds the tiny test guest (a stock Debian kernel + a busybox initrd) into a cache dir and prints
# the two paths as `KERNEL=...` and `INITRD=...`. Idempotent: a complete cache is reused as is.
# The guest's /init prints HVS_GUEST_BOOTED, then `tick N` every second on the serial console.
# Cache: $HVS_GUEST_CACHE, default ~/.cache/hvs/guest. Needs apt-get (registry access) and dpkg-deb.
set -euo pipefail
CACHE=${HVS_GUEST_CACHE:-$HOME/.cache/hvs/guest}
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9   # two test runs may build at once; one builds, the other reuses

if [ ! -s "$CACHE/vmlinuz" ] || [ ! -s "$CACHE/initrd.gz" ]; then
  WORK=$(mktemp -d "$CACHE/build.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
  cd "$WORK"
  KPKG=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/{print $2; exit}')
  if [ -z "$KPKG" ]; then
    echo "HVS-GUEST-KERNEL: no linux-image-<version>-amd64 known to apt; fix: run 'apt-get update'" >&2
    exit 1
  fi
  apt-get -o APT::Sandbox::User=root download -q "$KPKG" busybox-static >/dev/null
  mkdir -p kroot bb root/bin root/proc root/sys root/dev
  dpkg-deb -x "$KPKG"_*.deb kroot
  dpkg-deb -x busybox-static_*.deb bb
  cp bb/bin/busybox root/bin/busybox
  cat > root/init <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
echo "HVS_GUEST_BOOTED uptime=$(cut -d' ' -f1 /proc/uptime) kernel=$(uname -r)"
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
fi
echo "KERNEL=$CACHE/vmlinuz"
echo "INITRD=$CACHE/initrd.gz"
