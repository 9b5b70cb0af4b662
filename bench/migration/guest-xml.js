// Domain XML variants of the tiny guest for the migration bench (--xml). All boot the same
// kernel + initrd (direct kernel boot, TCG) and write the serial console to the same per-host
// log path, so the tick check works for each; they differ only in the device model:
//   tiny     test/system/tiny-guest.ts as is: q35, serial on a `file` chardev, no balloon;
//            libvirt adds its q35 defaults (USB xhci on a pcie-root-port, a spare root port)
//   lean     tiny without the USB controller (and so without the root ports libvirt adds for it)
//   pc       lean on the i440fx `pc` machine (no PCIe root ports, no AHCI, no ICH9 LPC/SMBus)
//   product  what libs/domain/src/xml/devices.ts adds to every VM today: VNC graphics + VGA,
//            serial on a pty logged by virtlogd, guest-agent channel (virtio-serial),
//            virtio balloon and RNG; USB default (xhci), q35
const guest = require('../dist/migration-lab/test/system/tiny-guest.js');

const VARIANTS = ['tiny', 'lean', 'pc', 'product'];

function guestXml(variant, name, files, memoryMiB) {
  const tiny = guest.tinyGuestXml(name, files, memoryMiB).replace(/\n\s*<disk [\s\S]*?<\/disk>/, '');
  const serial = guest.serialLogPath(name);
  switch (variant) {
    case 'tiny':
      return tiny;
    case 'lean':
      return tiny.replace("<memballoon model='none'/>", "<memballoon model='none'/>\n    <controller type='usb' model='none'/>");
    case 'pc':
      return guestXml('lean', name, files, memoryMiB).replace("machine='q35'", "machine='pc'");
    case 'product':
      return tiny
        .replace(/<serial type='file'>[\s\S]*?<\/console>/, [
          `<serial type='pty'><log file='${serial}' append='on'/><target type='isa-serial' port='0'><model name='isa-serial'/></target></serial>`,
          "<console type='pty'><target type='serial' port='0'/></console>",
          "<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>",
          "<graphics type='vnc' autoport='yes' listen='127.0.0.1'><listen type='address' address='127.0.0.1'/></graphics>",
          "<video><model type='vga' heads='1' primary='yes'/></video>",
        ].join('\n    '))
        .replace("<memballoon model='none'/>", "<memballoon model='virtio'/>\n    <rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>");
    default:
      throw new Error(`--xml ${variant}: expected one of ${VARIANTS.join(', ')}`);
  }
}

module.exports = { guestXml, VARIANTS };
