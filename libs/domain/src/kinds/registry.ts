import type { z } from 'zod';
import { BackupPolicySchema, BackupSchema, type Backup, type BackupPolicy } from './backup';
import { ImageSchema, type Image } from './image';
import { KIND_NAMES, type KindName } from './meta';
import { MigrationSchema, type Migration } from './migration';
import { FirewallPolicySchema, NetworkSchema, type FirewallPolicy, type Network } from './network';
import { NodeSchema, type Node } from './node';
import { SecretSchema, type Secret } from './secret';
import { SnapshotSchema, type Snapshot } from './snapshot';
import { StoragePoolSchema, type StoragePool } from './storage';
import { VirtualMachineSchema, type VirtualMachine } from './vm';

export interface KindInfo {
  kind: KindName;
  schema: z.ZodType;
  /** Lowercase plural used in etcd keys and URLs (`/hvs/v1/virtualmachines/web-1`). */
  plural: string;
  /** hvctl short names; the first is the canonical one. */
  shortNames: readonly string[];
  /** The AREA part of this kind's error codes (`HVS-VM-NAME-INVALID`). */
  area: string;
  /** Whether objects of this kind are written by people (apply) or only by the system. */
  userFacing: boolean;
}

export const KINDS = {
  VirtualMachine: { kind: 'VirtualMachine', schema: VirtualMachineSchema, plural: 'virtualmachines', shortNames: ['vm', 'vms'], area: 'VM', userFacing: true },
  Node: { kind: 'Node', schema: NodeSchema, plural: 'nodes', shortNames: ['node', 'nodes'], area: 'NODE', userFacing: true },
  Network: { kind: 'Network', schema: NetworkSchema, plural: 'networks', shortNames: ['net', 'nets'], area: 'NET', userFacing: true },
  FirewallPolicy: { kind: 'FirewallPolicy', schema: FirewallPolicySchema, plural: 'firewallpolicies', shortNames: ['fwp'], area: 'FWP', userFacing: true },
  Image: { kind: 'Image', schema: ImageSchema, plural: 'images', shortNames: ['img', 'imgs'], area: 'IMAGE', userFacing: true },
  StoragePool: { kind: 'StoragePool', schema: StoragePoolSchema, plural: 'storagepools', shortNames: ['pool', 'pools'], area: 'POOL', userFacing: true },
  BackupPolicy: { kind: 'BackupPolicy', schema: BackupPolicySchema, plural: 'backuppolicies', shortNames: ['bp'], area: 'BACKUPPOLICY', userFacing: true },
  Backup: { kind: 'Backup', schema: BackupSchema, plural: 'backups', shortNames: ['backup'], area: 'BACKUP', userFacing: true },
  Snapshot: { kind: 'Snapshot', schema: SnapshotSchema, plural: 'snapshots', shortNames: ['snap', 'snaps'], area: 'SNAPSHOT', userFacing: true },
  Migration: { kind: 'Migration', schema: MigrationSchema, plural: 'migrations', shortNames: ['mig'], area: 'MIGRATION', userFacing: true },
  Secret: { kind: 'Secret', schema: SecretSchema, plural: 'secrets', shortNames: ['secret'], area: 'SECRET', userFacing: true },
} as const satisfies Record<KindName, KindInfo>;

/** Maps kind name -> its parsed object type. */
export interface KindTypes {
  VirtualMachine: VirtualMachine;
  Node: Node;
  Network: Network;
  FirewallPolicy: FirewallPolicy;
  Image: Image;
  StoragePool: StoragePool;
  BackupPolicy: BackupPolicy;
  Backup: Backup;
  Snapshot: Snapshot;
  Migration: Migration;
  Secret: Secret;
}
export type AnyResource = KindTypes[KindName];

export function isKindName(v: unknown): v is KindName {
  return typeof v === 'string' && (KIND_NAMES as readonly string[]).includes(v);
}

/**
 * Resolves what a person typed (`vm`, `VMs`, `virtualmachine`, `VirtualMachine`,
 * `firewallpolicies`) to a kind, or undefined.
 */
export function resolveKind(input: string): KindName | undefined {
  const s = input.toLowerCase();
  for (const info of Object.values(KINDS)) {
    if (info.kind.toLowerCase() === s || info.plural === s || (info.shortNames as readonly string[]).includes(s)) return info.kind;
  }
  return undefined;
}
