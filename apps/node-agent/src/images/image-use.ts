import type { ImageObservation, VirtualMachine } from '@hvs/domain';

/** The Image names a VM uses: its disks' images and its cdrom's, in spec order, once each. */
export function imagesOf(vm: VirtualMachine): string[] {
  const names = vm.spec.disks.map((d) => d.image).filter((n): n is string => n !== undefined);
  if (vm.spec.cdrom?.image !== undefined) names.push(vm.spec.cdrom.image);
  return [...new Set(names)];
}

const MiB = 1024 * 1024;

/** "downloading 45% (120 of 268 MiB, 12.5 MiB/s, about 12 s left)": the wait message of a VM. */
export function progressText(o: Pick<ImageObservation, 'phase' | 'bytes' | 'totalBytes' | 'bytesPerSecond' | 'etaSeconds' | 'message'>): string {
  if (o.phase !== 'Downloading') return o.message;
  const mib = (n: number) => (n / MiB).toFixed(n < 10 * MiB ? 1 : 0);
  const rate = o.bytesPerSecond > 0 ? `, ${(o.bytesPerSecond / MiB).toFixed(1)} MiB/s` : '';
  const eta = o.etaSeconds > 0 ? `, about ${o.etaSeconds} s left` : '';
  if (o.totalBytes <= 0) return `downloading (${mib(o.bytes)} MiB so far${rate})`;
  return `downloading ${Math.floor((o.bytes / o.totalBytes) * 100)}% (${mib(o.bytes)} of ${mib(o.totalBytes)} MiB${rate}${eta})`;
}
