/** Sizes for libvirt: whole KiB, from the model's binary-unit strings (`4GiB`). */
import { tryParseSize } from '../units';
import { xmlError } from './host-facts';

/** KiB in `size`; HVS-XML-SIZE-INVALID when it is not a positive whole number of KiB. */
export function sizeToKiB(size: string, field: string): number {
  const bytes = tryParseSize(size);
  if (bytes === undefined || bytes <= 0 || bytes % 1024 !== 0) {
    throw xmlError('HVS-XML-SIZE-INVALID', 'InvalidArgument', field, `size ${JSON.stringify(String(size).slice(0, 64))} cannot be given to libvirt`,
      'libvirt takes positive, whole KiB amounts', 'use a positive size in KiB, MiB, GiB or TiB, e.g. "4GiB"');
  }
  return bytes / 1024;
}
