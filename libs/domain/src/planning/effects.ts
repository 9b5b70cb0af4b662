/**
 * Which effect a field change has on a running object. The table is the one in
 * docs/architecture/planning.md; keep them together. Unknown VirtualMachine fields are
 * treated as `restart`: claiming a change is live when it is not is the costly mistake.
 */
import { tryParseSize } from '../units';
import type { RawChange } from './diff';
import type { ChangeEffect } from './types';

export interface EffectVerdict {
  effect: ChangeEffect;
  note?: string;
}

const under = (shape: string, prefix: string) => shape === prefix || shape.startsWith(`${prefix}.`) || shape.startsWith(`${prefix}[`);

/** Buses whose disks QEMU can attach and detach while the guest runs. */
const HOTPLUG_BUSES = new Set(['virtio', 'scsi']);

function diskBus(v: unknown): string {
  const bus = (v as { bus?: unknown } | undefined)?.bus;
  return typeof bus === 'string' ? bus : 'virtio';
}

export function vmEffect(c: RawChange): EffectVerdict {
  const s = c.shape;
  if (under(s, 'metadata')) return { effect: 'none' };
  if (s === 'spec.runState') return { effect: 'none', note: c.new === 'Stopped' ? 'stop' : 'start' };
  if (under(s, 'spec.cpu') || under(s, 'spec.memory') || under(s, 'spec.firmware')) return { effect: 'restart' };
  if (under(s, 'spec.boot')) return { effect: 'restart', note: 'QEMU loads the kernel and initrd at start' };

  if (s === 'spec.disks[]' && (c.op === 'add' || c.op === 'remove')) {
    const bus = diskBus(c.op === 'add' ? c.new : c.old);
    return HOTPLUG_BUSES.has(bus) ? { effect: 'hotplug' } : { effect: 'restart', note: `${bus} disks cannot be hot-plugged` };
  }
  if (s === 'spec.disks' && c.op === 'reorder') return { effect: 'restart', note: 'disk order sets device names and default boot order' };
  if (s === 'spec.disks[].size') {
    const before = tryParseSize(c.old);
    const after = tryParseSize(c.new);
    if (before !== undefined && after !== undefined && after > before) return { effect: 'hotplug', note: 'grown online; extend the filesystem in the guest' };
    return { effect: 'restart', note: 'disks are never shrunk online' };
  }
  if (under(s, 'spec.disks')) return { effect: 'restart' };
  if (under(s, 'spec.cdrom') || under(s, 'spec.devices') || under(s, 'spec.console')) return { effect: 'restart' };

  if (s === 'spec.networks[]' && (c.op === 'add' || c.op === 'remove')) return { effect: 'hotplug' };
  if (under(s, 'spec.networks[].firewall')) return { effect: 'none', note: 'firewall rules are updated live' };
  if (s === 'spec.networks[].network') return { effect: 'hotplug', note: 'interface re-attached to the new network' };
  if (under(s, 'spec.networks')) return { effect: 'restart' };

  if (under(s, 'spec.cloudInit')) return { effect: 'restart', note: 'cloud-init reads it at boot' };
  if (under(s, 'spec.placement')) return { effect: 'migration', note: 'moves if its node no longer fits the placement' };
  if (under(s, 'spec.ha') || under(s, 'spec.dependsOn') || under(s, 'spec.backupPolicy')) return { effect: 'none' };
  return { effect: 'restart' };
}

/**
 * The effect of a change to an object of `kind`. Only VMs have guests to restart; other
 * kinds are reconciled in place (their effect on VMs that use them, e.g. a Network's
 * subnet, is reported by the reconciler, not by the plan).
 */
export function effectOf(kind: string, c: RawChange): EffectVerdict {
  return kind === 'VirtualMachine' ? vmEffect(c) : { effect: 'none' };
}

const RANK: Record<ChangeEffect, number> = { none: 0, hotplug: 1, migration: 2, restart: 3 };

/** The strongest of several effects (`restart` > `migration` > `hotplug` > `none`). */
export function strongestEffect(effects: Iterable<ChangeEffect>): ChangeEffect {
  let top: ChangeEffect = 'none';
  for (const e of effects) if (RANK[e] > RANK[top]) top = e;
  return top;
}
