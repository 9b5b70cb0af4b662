/**
 * The files a VM spec names by path (spec.disks[].path, spec.boot.kernel/initrd, spec.cdrom.path),
 * each resolved inside its pool as a string, exactly as the renderer puts it into the XML. Pure:
 * it cannot see symlinks, so the node agent checks each one on the host (realpath/lstat) before
 * it defines or starts a domain (apps/node-agent/src/storage/path-confinement.ts).
 */
import type { VirtualMachine } from '../kinds/vm';
import { DEFAULT_POOL, lookupPool } from './disks';
import { type HostFacts, resolveInPool } from './host-facts';

export interface ExplicitPath {
  /** The spec field that names it, e.g. `spec.boot.kernel`. */
  field: string;
  pool: string;
  poolPath: string;
  /** Absolute path inside poolPath, as rendered (throws HVS-XML-PATH-ESCAPES for `..` and the like). */
  path: string;
}

export function explicitPaths(vm: VirtualMachine, host: HostFacts): ExplicitPath[] {
  const out: ExplicitPath[] = [];
  const add = (field: string, poolField: string, poolName: string | undefined, relative: string | undefined) => {
    if (relative === undefined) return;
    const pool = poolName ?? DEFAULT_POOL;
    const poolPath = lookupPool(host, pool, poolField).path;
    out.push({ field, pool, poolPath, path: resolveInPool(pool, poolPath, relative, field) });
  };
  vm.spec.disks.forEach((d, i) => add(`spec.disks[${i}].path`, `spec.disks[${i}].pool`, d.pool, d.path));
  const boot = vm.spec.boot;
  if (boot !== undefined) {
    add('spec.boot.kernel', 'spec.boot.pool', boot.pool, boot.kernel);
    add('spec.boot.initrd', 'spec.boot.pool', boot.pool, boot.initrd);
  }
  const cdrom = vm.spec.cdrom;
  if (cdrom !== undefined && cdrom.image === undefined) add('spec.cdrom.path', 'spec.cdrom.pool', cdrom.pool, cdrom.path);
  return out;
}
