/**
 * What a VM names must exist, checked at apply and plan like Kubernetes admission (pure):
 * each `spec.networks[i].network` a Network and each `spec.disks[i].image` / `spec.cdrom.image`
 * an Image, in the same batch or the store; each disk `pool` one that a Node reports
 * (status.pools), a StoragePool (batch or store), or `default`. Else HVS-VM-REFERENCE-MISSING, one problem per reference, with a
 * did-you-mean when a close name exists.
 */
import type { Problem, VirtualMachine } from '@hvs/domain';

export interface ReferenceCatalog {
  networks: ReadonlySet<string>;
  images: ReadonlySet<string>;
  pools: ReadonlySet<string>;
}

export const DEFAULT_POOL = 'default';

export function missingReferences(vm: VirtualMachine, catalog: ReferenceCatalog): Problem[] {
  const out: Problem[] = [];
  const name = vm.metadata.name;
  vm.spec.networks.forEach((nic, i) => {
    if (!catalog.networks.has(nic.network)) out.push(missing(name, `spec.networks[${i}].network`, 'Network', nic.network, catalog.networks, 'hvctl get networks'));
  });
  vm.spec.disks.forEach((d, i) => {
    if (d.image !== undefined && !catalog.images.has(d.image)) out.push(missing(name, `spec.disks[${i}].image`, 'Image', d.image, catalog.images, 'hvctl get images'));
    if (d.pool !== undefined && d.pool !== DEFAULT_POOL && !catalog.pools.has(d.pool)) {
      out.push(missing(name, `spec.disks[${i}].pool`, 'storage pool', d.pool, catalog.pools, 'hvctl get nodes -o yaml (status.pools)'));
    }
  });
  const cd = vm.spec.cdrom?.image;
  if (cd !== undefined && !catalog.images.has(cd)) out.push(missing(name, 'spec.cdrom.image', 'Image', cd, catalog.images, 'hvctl get images'));
  return out;
}

function missing(vm: string, path: string, what: string, ref: string, known: ReadonlySet<string>, list: string): Problem {
  const near = closest(ref, known);
  return {
    code: 'HVS-VM-REFERENCE-MISSING', path,
    message: `VirtualMachine ${vm}: ${what} "${ref}" does not exist${near ? ` (did you mean "${near}"?)` : ''}`,
    why: `a VM can only be placed once everything it names exists; it is checked when you apply, not when a node fails to start it`,
    fix: `apply the ${what} in the same file or first, or correct the name (\`${list}\` lists what exists)`,
  };
}

/** The known name at edit distance <= 2 (the nearest), if any. */
function closest(ref: string, known: ReadonlySet<string>): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const k of known) {
    const d = distance(ref, k);
    if (d <= 2 && (!best || d < best.d)) best = { name: k, d };
  }
  return best?.name;
}

function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length]!;
}
