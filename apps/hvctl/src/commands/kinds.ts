/**
 * Kind names as people type them (`vm`, `vms`, `VirtualMachine`, `nodes`). The table mirrors
 * `plural` and `shortNames` of KINDS in @hvs/domain, whose module also builds every zod schema
 * (~0.3-0.5 s of start-up): completion and usage errors must not pay that. test/kinds.spec.ts
 * fails when the two differ.
 */
import type { KindName } from '@hvs/domain';
import { usageError } from '../errors';

export const KIND_WORDS: Readonly<Record<KindName, { plural: string; shortNames: readonly string[] }>> = {
  VirtualMachine: { plural: 'virtualmachines', shortNames: ['vm', 'vms'] },
  Node: { plural: 'nodes', shortNames: ['node', 'nodes'] },
  Network: { plural: 'networks', shortNames: ['net', 'nets'] },
  FirewallPolicy: { plural: 'firewallpolicies', shortNames: ['fwp'] },
  Image: { plural: 'images', shortNames: ['img', 'imgs'] },
  StoragePool: { plural: 'storagepools', shortNames: ['pool', 'pools'] },
  BackupPolicy: { plural: 'backuppolicies', shortNames: ['bp'] },
  Backup: { plural: 'backups', shortNames: ['backup'] },
  Snapshot: { plural: 'snapshots', shortNames: ['snap', 'snaps'] },
  Migration: { plural: 'migrations', shortNames: ['mig'] },
  Secret: { plural: 'secrets', shortNames: ['secret'] },
};

/** resolveKind of @hvs/domain over KIND_WORDS: case-insensitive kind, plural or short name. */
export function resolveKindWord(input: string): KindName | undefined {
  const s = input.toLowerCase();
  for (const [kind, w] of Object.entries(KIND_WORDS) as [KindName, (typeof KIND_WORDS)[KindName]][]) {
    if (kind.toLowerCase() === s || w.plural === s || w.shortNames.includes(s)) return kind;
  }
  return undefined;
}

/** What a person typed -> kind; usage error listing the kinds otherwise. */
export function kindArg(input: string): KindName {
  const k = resolveKindWord(input);
  if (k) return k;
  const names = Object.values(KIND_WORDS).map((i) => `${i.plural} (${i.shortNames.join(', ')})`);
  throw usageError(`"${input}" is not a kind`, `use one of: ${names.join('; ')}`);
}

/** `vm/web-1` -> [VirtualMachine, web-1]; a bare name keeps the kind given. */
export function splitKindName(arg: string, fallbackKind?: KindName): { kind?: KindName; name: string } {
  const i = arg.indexOf('/');
  if (i > 0) return { kind: kindArg(arg.slice(0, i)), name: arg.slice(i + 1) };
  return { ...(fallbackKind ? { kind: fallbackKind } : {}), name: arg };
}
