/**
 * The port between the node agent and a hypervisor (Nomad's driver interface shape): a small
 * core every driver has, plus optional abilities as separate interfaces with type guards.
 * Implementations: LibvirtDriver (binding + virsh) and FakeHypervisorDriver (in memory, knobs).
 * Every method throws only HvsError (codes HVS-LIBVIRT-* / HVS-HV-*).
 */
import type { HypervisorMode } from '@hvs/domain';
import type { HostSecurity } from './confinement';

/** Which engine runs guests: KVM, QEMU's software emulation (TCG), or libvirt's test driver (@hvs/domain). */
export type { HypervisorMode };

export type DomainState = 'running' | 'paused' | 'shutoff' | 'shutdown' | 'crashed' | 'pmsuspended' | 'blocked' | 'nostate';

export interface PciDevice {
  /** `0000:01:00.0` */
  address: string;
  vendor: string;
  device: string;
  class: string;
  driver?: string;
  iommuGroup?: number;
}

export interface HostFacts {
  hostname: string;
  cpus: number;
  memoryBytes: number;
  /** Per page size in KiB: total and free pages (from /sys/kernel/mm/hugepages). */
  hugepages: { pageSizeKiB: number; total: number; free: number }[];
  /** /dev/kvm opens read-write and the CPU advertises vmx/svm. */
  kvmUsable: boolean;
  /** What this driver actually runs guests with (see docs/architecture/hypervisor-driver.md). */
  mode: HypervisorMode;
  uri: string;
  pciDevices: PciDevice[];
  /** IOMMU group number -> PCI addresses; empty when /sys/kernel/iommu_groups is absent. */
  iommuGroups: Record<number, string[]>;
  libvirtVersion?: string;
  qemuVersion?: string;
  /** MAC (sVirt) facts: libvirt's security models and the kernel's; left out when libvirt's capabilities could not be read. */
  security?: HostSecurity;
}

export interface DomainInfo {
  name: string;
  uuid: string;
  state: DomainState;
  /** Defined (survives shutoff) rather than transient. */
  persistent: boolean;
}

export interface DomainStats {
  name: string;
  state: DomainState;
  cpuTimeNs: number;
  memoryBytes: number;
  blockRdBytes: number;
  blockWrBytes: number;
  netRxBytes: number;
  netTxBytes: number;
  /** 'full': from `virsh domstats`; 'basic': cpu and memory only (test driver, fake). */
  detail: 'full' | 'basic';
}

export type DomainEventType =
  | 'defined' | 'undefined' | 'started' | 'suspended' | 'resumed' | 'stopped' | 'shutdown' | 'crashed' | 'pmsuspended';

export interface DomainEvent {
  type: DomainEventType;
  name: string;
  /** libvirt's detail word (`Booted`, `Destroyed`, `Shutdown`, `Crashed`, `Migrated`, ...). */
  detail: string;
  /** Epoch milliseconds. */
  at: number;
  /** libvirt: from libvirt's own event stream; synthetic: from this driver's call; poll: seen by a list diff. */
  source: 'libvirt' | 'synthetic' | 'poll';
}

export interface DefineResult {
  info: DomainInfo;
  /** False when the stored definition already equalled the given XML. */
  changed: boolean;
}

export interface ShutdownOptions {
  /** ACPI shutdown first; destroy when the guest is still up after this long. */
  timeoutMs: number;
}

/** Observation hook for every hypervisor call (feeds hvs_libvirt_call_duration_seconds). */
export type CallObserver = (op: string, ms: number, ok: boolean) => void;

export type Ability = 'migrate' | 'snapshot' | 'backup' | 'dirty-rate' | 'guest-addresses' | 'block-resize';

export interface HypervisorDriver {
  /** Optional abilities this instance really has (a class may implement a method yet lack it in a mode). */
  readonly abilities: ReadonlySet<Ability>;
  hostFacts(): Promise<HostFacts>;
  list(): Promise<DomainInfo[]>;
  /** undefined when no domain has this name. */
  get(name: string): Promise<DomainInfo | undefined>;
  /** Idempotent: the same name redefines; `changed` says whether the definition moved. */
  define(name: string, xml: string): Promise<DefineResult>;
  /** No-op when already running. */
  start(name: string): Promise<void>;
  /** ACPI shutdown, destroy after timeoutMs. No-op when not running. Resolves once the domain is off. */
  shutdown(name: string, opts: ShutdownOptions): Promise<void>;
  /** Hard power-off. No-op when not running. */
  destroy(name: string): Promise<void>;
  /** Removes the definition (and nvram); stops it first when running. No-op when absent. */
  undefine(name: string): Promise<void>;
  stats(name: string): Promise<DomainStats>;
  /** A fresh subscription to lifecycle events; ends when the driver closes or the consumer returns. */
  events(): AsyncIterable<DomainEvent>;
  close(): Promise<void>;
}

export interface MigrateOptions {
  /** Keep the guest running while memory is copied (default true); false pauses it for the whole copy. */
  live?: boolean;
  /** Define the domain at the target (default true). */
  persistent?: boolean;
  /** Remove the definition at the source once the target runs it (default true). */
  undefineSource?: boolean;
  /** Copy every disk to the target (disks not on shared storage; the target needs a pool covering the paths). */
  copyStorage?: boolean;
  autoConverge?: boolean;
  postCopy?: boolean;
  /** Seconds after which libvirt suspends the guest to finish (`virsh migrate --timeout`). */
  timeoutSeconds?: number;
  /** Maximum downtime in ms (`virsh migrate-setmaxdowntime`; QEMU's default is 300). */
  maxDowntimeMs?: number;
  /**
   * Cap on the memory transfer in MiB/s (`virsh migrate --bandwidth`); default unlimited. QEMU
   * enforces it per 100 ms window, so it paces bursts, it does not smooth the stream.
   */
  bandwidthMiBs?: number;
  /** Memory over this many TCP connections (QEMU multifd, `--parallel --parallel-connections N`); default one. */
  parallelConnections?: number;
  /** How often progress is sampled. */
  pollMs?: number;
  /**
   * Where this process can reach the target libvirtd to read the completed job's figures when the
   * source's job-completed event was missed. Default: destUri (which the source libvirtd dials).
   */
  statsUri?: string;
}

export interface MigrationProgress {
  phase: 'running' | 'completed';
  /** Memory plus disks, as libvirt counts them. Absent while only disks are being copied. */
  dataTotalBytes?: number;
  dataProcessedBytes?: number;
  dataRemainingBytes?: number;
  memoryTotalBytes?: number;
  memoryProcessedBytes?: number;
  memoryRemainingBytes?: number;
  diskTotalBytes?: number;
  diskProcessedBytes?: number;
  /** Guest memory dirtied per second (pages/s x page size). */
  dirtyRateBytesPerSec?: number;
  /** Pre-copy pass number (1 = the first full copy). */
  iteration?: number;
  /** Memory transfer rate. */
  bandwidthBytesPerSec?: number;
  /** QEMU's current estimate while running. */
  expectedDowntimeMs?: number;
  /** Set on completion when libvirt reports it. */
  downtimeMs?: number;
  elapsedMs?: number;
}

export interface Migratable {
  /**
   * Peer-to-peer migration (live, persistent at the target, undefined at the source unless the
   * options say otherwise). Yields progress samples, then one 'completed' with the downtime.
   * Throws HVS-LIBVIRT-MIGRATE-* when it fails; libvirt then leaves the guest on the source.
   */
  migrate(name: string, destUri: string, opts?: MigrateOptions): AsyncIterable<MigrationProgress>;
  /**
   * Aborts the domain's running migration job (`virsh domjobabort`): libvirt keeps the guest
   * running on the source and the migrate() stream throws HVS-LIBVIRT-MIGRATE-CANCELLED. libvirt
   * refuses once a post-copy migration has switched over (the guest already runs on the target).
   */
  abortMigration(name: string): Promise<void>;
}

export interface SnapshotInfo {
  name: string;
  createdAt: number;
}

export interface Snapshotting {
  createSnapshot(domain: string, snapshot: string, opts?: { description?: string }): Promise<void>;
  listSnapshots(domain: string): Promise<SnapshotInfo[]>;
  revertSnapshot(domain: string, snapshot: string): Promise<void>;
  deleteSnapshot(domain: string, snapshot: string): Promise<void>;
}

/** Declared for the backup issue; no driver implements it yet. */
export interface BackingUp {
  /** Push-mode backup of the named disks to target files (`virsh backup-begin`). */
  beginBackup(domain: string, backupXml: string): Promise<void>;
  backupProgress(domain: string): Promise<MigrationProgress>;
}

export function isMigratable(d: HypervisorDriver): d is HypervisorDriver & Migratable {
  return d.abilities.has('migrate') && typeof (d as Partial<Migratable>).migrate === 'function';
}

export function isSnapshotting(d: HypervisorDriver): d is HypervisorDriver & Snapshotting {
  return d.abilities.has('snapshot') && typeof (d as Partial<Snapshotting>).createSnapshot === 'function';
}

export function isBackingUp(d: HypervisorDriver): d is HypervisorDriver & BackingUp {
  return d.abilities.has('backup') && typeof (d as Partial<BackingUp>).beginBackup === 'function';
}

/** Growing a running guest's disk (`virsh blockresize`): QEMU resizes the image it holds open. */
export interface BlockResizing {
  /** Grows the disk of `domain` whose source is `diskPath` to `bytes`. */
  blockResize(domain: string, diskPath: string, bytes: number): Promise<void>;
}

export function isBlockResizing(d: HypervisorDriver): d is HypervisorDriver & BlockResizing {
  return d.abilities.has('block-resize') && typeof (d as Partial<BlockResizing>).blockResize === 'function';
}
