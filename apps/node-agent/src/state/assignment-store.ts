import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HvsError, validateKind, type CloudInitNic, type Image, type Network, type VirtualMachine } from '@hvs/domain';
import { writeFileAtomic } from './atomic-file';
import { hasInlineCloudInit, splitCloudInit, type CloudInitMaterial } from './cloud-init-material';

/** How a Network is realised on this host (the renderer's `HostFacts.networks` entry). */
export interface NetworkRealisation {
  bridge?: string;
  libvirtNetwork?: string;
  /** Of the VMs' NICs (`<mtu size>`); left out: libvirt's default (the bridge's). */
  mtu?: number;
  /** 802.1Q tag of the VMs' ports (`<vlan><tag id>`). */
  vlan?: number;
}

/**
 * One NIC of a VM as the controller bound it (agent.proto NicBinding): MAC, reserved address,
 * DNS name, static or DHCP. One definition with the cloud-init renderer's input (@hvs/domain).
 */
export type NicBinding = CloudInitNic;

/** One address reservation of a Network, cluster-wide (agent.proto AddressReservation). */
export interface AddressReservation {
  vm: string;
  vmUid: string;
  nic: string;
  mac: string;
  ipv4: string;
  dnsName: string;
  /** The VM is assigned to this node: its DHCP host entry lives here. */
  local: boolean;
}

/** What this node needs to realise one Network (agent.proto NetworkBinding plus the Network object). */
export interface NetworkBinding {
  network: Network;
  reservations: AddressReservation[];
  /** vxlan: this node's underlay address and the other nodes'. */
  vtepLocal: string;
  vtepPeers: string[];
}

/** A VM's domain XML and the render facts it was made for (domains/render-facts.ts factsKey). */
export interface RenderedXml {
  xml: string;
  factsKey: string;
}

/** One accepted Assign: the whole desired set for this host. */
export interface Assignment {
  generation: number;
  fencingToken: number;
  /**
   * Validated VirtualMachines, each with metadata.uid, WITHOUT cloud-init userData and
   * networkConfig (cloud-init-material.ts splitCloudInit): those travel in `cloudInit`.
   */
  vms: VirtualMachine[];
  networks: Record<string, NetworkRealisation>;
  /** Per Network name: the Network object, its reservations and VTEP peers (network/ realises them). */
  networkBindings?: Record<string, NetworkBinding>;
  /** Per VM uid: its NICs as the controller bound them (MAC, reserved address), in spec order. */
  nics?: Record<string, NicBinding[]>;
  /** The Image objects the VMs use, by name (images/ caches and verifies them). */
  images?: Record<string, Image>;
  /** Per VM uid: image name -> the digest every copy must have (`sha256:<hex>`). */
  imageDigests?: Record<string, Record<string, string>>;
  /**
   * The domain XML each VM was rendered to when the Assign was checked (grpc/assign-request.ts),
   * by uid, so the reconciler defines it without rendering again. Kept in memory only: after a
   * restart the reconciler renders each VM once (this host's facts may have changed meanwhile).
   */
  rendered?: Record<string, RenderedXml>;
  /**
   * Each VM's cloud-init material (inline userData/networkConfig, resolved secretRefs), by uid.
   * Kept in memory only, never in the state file: after a restart it is absent until the
   * controller's next Assign (docs/architecture/secrets.md#on-a-node).
   */
  cloudInit?: Record<string, CloudInitMaterial>;
}

interface StoredState extends Omit<Assignment, 'rendered' | 'cloudInit'> {
  version: 1;
  node: string;
  /** VMs dropped from the desired set whose domain/volumes are not cleaned up yet. */
  removing: string[];
  savedAt: string;
}

/** sha256 of the stored state's JSON (every field but the checksum, in the order written). */
function checksumOf(state: StoredState): string {
  return createHash('sha256').update(JSON.stringify(state)).digest('hex');
}

const UID = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

export const STATE_FILE = 'assignment.json';

/**
 * The agent's last accepted assignment, persisted atomically in the state dir, so an agent that
 * restarts without a controller keeps its VMs as they were.
 *
 * Validation happens once per process boundary: the Assign is validated at the gRPC edge
 * (grpc/assign-request.ts) before anything is written here. Reloading the file after a restart
 * checks only what is needed to trust it: the file carries the sha256 of its own content
 * (written by this class after that validation, atomically, in the agent's private 0700 state
 * dir), so a matching checksum proves it is byte for byte what a validated Assign produced; a
 * torn, corrupt or hand-edited file fails it. On top, a cheap shape check (version, arrays, a
 * DNS-label uid per VM: domain and volume names are built from it). The schema is not run a
 * second time. A file without a checksum (written by an agent before this one) gets the full
 * schema validation once; the next write adds the checksum.
 *
 * Guarantees:
 * - an Assign with a generation older than the stored one is refused (HVS-AGENT-STALE-GENERATION);
 * - a fencing token older than the highest seen is refused (HVS-AGENT-STALE-FENCING-TOKEN);
 * - a VM dropped from the desired set stays in `removing` until its cleanup finished, so a
 *   crash mid-removal is finished after the restart and nothing is leaked;
 * - writes are serialised (one at a time, in call order).
 */
export class AssignmentStore {
  private state: StoredState;
  private byUid = new Map<string, VirtualMachine>();
  private renderedByUid = new Map<string, RenderedXml>();
  private cloudInitByUid = new Map<string, CloudInitMaterial>();
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly dir: string, private readonly node: string) {
    this.state = { version: 1, node, generation: 0, fencingToken: 0, vms: [], networks: {}, removing: [], savedAt: '' };
  }

  get path(): string {
    return join(this.dir, STATE_FILE);
  }

  get generation(): number {
    return this.state.generation;
  }

  get fencingToken(): number {
    return this.state.fencingToken;
  }

  get networks(): Record<string, NetworkRealisation> {
    return this.state.networks;
  }

  /** The Networks to realise on this host, with their reservations and VTEP peers. */
  get networkBindings(): Record<string, NetworkBinding> {
    return this.state.networkBindings ?? {};
  }

  /** The Images the assigned VMs use, by name. */
  get images(): Record<string, Image> {
    return this.state.images ?? {};
  }

  /** The NICs of `uid` as the controller bound them (empty for a VM without NICs or an old controller). */
  nics(uid: string): NicBinding[] {
    return this.state.nics?.[uid] ?? [];
  }

  /** image name -> expected digest, for the images `uid` uses. */
  imageDigests(uid: string): Record<string, string> {
    return this.state.imageDigests?.[uid] ?? {};
  }

  /** Every uid the agent owns now: desired ones and ones still being removed. */
  uids(): string[] {
    return [...this.byUid.keys(), ...this.state.removing];
  }

  desiredVms(): VirtualMachine[] {
    return [...this.state.vms];
  }

  desired(uid: string): VirtualMachine | undefined {
    return this.byUid.get(uid);
  }

  /** Uids that left the desired set and are not cleaned up yet. */
  removingUids(): string[] {
    return [...this.state.removing];
  }

  isRemoving(uid: string): boolean {
    return this.state.removing.includes(uid);
  }

  /** The XML `uid` was last rendered to for its current spec (undefined after a restart). */
  rendered(uid: string): RenderedXml | undefined {
    return this.renderedByUid.get(uid);
  }

  /** Remembers a render of the current spec of `uid` (the reconciler's, after a restart or a change of host facts). */
  keepRendered(uid: string, r: RenderedXml): void {
    if (this.byUid.has(uid)) this.renderedByUid.set(uid, r);
  }

  /**
   * The cloud-init material of `uid` from the last Assign this process accepted; undefined after
   * a restart until the controller sends the next one (a seed must wait for it, never be built
   * without it).
   */
  cloudInit(uid: string): CloudInitMaterial | undefined {
    return this.cloudInitByUid.get(uid);
  }

  /** Reads the state file; a missing file is an empty assignment, a broken one an error with a fix. */
  async load(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw this.corrupt(`it cannot be read: ${(e as Error).message}`);
    }
    let file: StoredState & { checksum?: string };
    try {
      file = JSON.parse(text) as StoredState & { checksum?: string };
    } catch (e) {
      throw this.corrupt(`it is not JSON: ${(e as Error).message}`);
    }
    if (file?.version !== 1 || !Array.isArray(file.vms) || !Array.isArray(file.removing)) throw this.corrupt('it has no version-1 assignment');
    const { checksum, ...raw } = file;
    if (checksum !== undefined && checksum !== checksumOf(raw)) throw this.corrupt('its checksum does not match its content (changed or damaged after the agent wrote it)');
    const vms: VirtualMachine[] = [];
    for (const vm of raw.vms) {
      const name = JSON.stringify((vm as VirtualMachine)?.metadata?.name);
      if (checksum === undefined) {
        // Written by an older agent, without a checksum: trust it the old way, once.
        const r = validateKind('VirtualMachine', vm);
        if (!r.ok) throw this.corrupt(`VM ${name} is invalid: ${r.problems[0]?.code}`);
        vms.push(r.value);
      } else {
        if (!UID.test(String(vm?.metadata?.uid))) throw this.corrupt(`VM ${name} has no DNS-label metadata.uid`);
        vms.push(vm);
      }
    }
    // A file of an agent before this one may hold inline cloud-init in plain text: drop it from
    // disk now (the controller's next Assign brings it again, into memory only).
    const stripped = vms.map((vm) => splitCloudInit(vm).vm);
    this.state = { ...raw, vms: stripped };
    if (vms.some(hasInlineCloudInit)) await this.write(this.state);
    this.index();
  }

  /**
   * Replaces the desired set (after the caller validated every VM). Returns the uids that left
   * the desired set (to be cleaned up) and whether anything changed.
   */
  replace(next: Assignment): Promise<{ removed: string[]; unchanged: boolean }> {
    return this.serial(async () => {
      if (next.fencingToken < this.state.fencingToken) {
        throw new HvsError({
          code: 'HVS-AGENT-STALE-FENCING-TOKEN', category: 'FailedPrecondition',
          message: `assignment refused: fencing token ${next.fencingToken} is older than ${this.state.fencingToken}`,
          why: 'a newer controller decision was already accepted; acting on an older one could run a VM on two hosts',
          fix: 'nothing to do on this node: the current leader controller sends a fresh assignment',
        });
      }
      if (next.generation < this.state.generation) {
        throw new HvsError({
          code: 'HVS-AGENT-STALE-GENERATION', category: 'FailedPrecondition',
          message: `assignment refused: generation ${next.generation} is older than the accepted ${this.state.generation}`,
          why: 'assignments are level-triggered; an older one would undo newer decisions',
          fix: 'the controller should resend its latest assignment for this node',
        });
      }
      const same = next.generation === this.state.generation && JSON.stringify(next.vms) === JSON.stringify(this.state.vms)
        && JSON.stringify(next.networks) === JSON.stringify(this.state.networks)
        && JSON.stringify([next.networkBindings ?? {}, next.nics ?? {}, next.images ?? {}, next.imageDigests ?? {}])
          === JSON.stringify([this.state.networkBindings ?? {}, this.state.nics ?? {}, this.state.images ?? {}, this.state.imageDigests ?? {}]);
      if (same && next.fencingToken === this.state.fencingToken) {
        this.keepRenders(next.rendered);
        this.keepCloudInit(next.cloudInit);
        return { removed: [], unchanged: true };
      }
      if (next.generation === this.state.generation && this.state.generation !== 0 && !same) {
        throw new HvsError({
          code: 'HVS-AGENT-GENERATION-REUSED', category: 'Conflict',
          message: `assignment refused: generation ${next.generation} was already accepted with other content`,
          why: 'one generation must always mean the same desired set',
          fix: 'the controller must bump the generation whenever the desired set changes',
        });
      }
      const keep = new Set(next.vms.map((v) => v.metadata.uid as string));
      const dropped = this.state.vms.map((v) => v.metadata.uid as string).filter((u) => !keep.has(u));
      const removing = [...new Set([...this.state.removing, ...dropped])].filter((u) => !keep.has(u));
      const state: StoredState = {
        version: 1, node: this.node, generation: next.generation, fencingToken: next.fencingToken, vms: next.vms, networks: next.networks,
        networkBindings: next.networkBindings ?? {}, nics: next.nics ?? {}, images: next.images ?? {}, imageDigests: next.imageDigests ?? {},
        removing, savedAt: new Date().toISOString(),
      };
      await this.write(state);
      this.state = state;
      this.index();
      this.keepRenders(next.rendered);
      this.keepCloudInit(next.cloudInit);
      return { removed: dropped, unchanged: false };
    });
  }

  /** The removal of `uid` is complete (domain undefined, volumes handled): forget it. */
  finishRemoval(uid: string): Promise<void> {
    return this.serial(async () => {
      if (!this.state.removing.includes(uid)) return;
      const state = { ...this.state, removing: this.state.removing.filter((u) => u !== uid), savedAt: new Date().toISOString() };
      await this.write(state);
      this.state = state;
    });
  }

  /** 0600 (atomic-file.ts); refuses a VM that still carries inline cloud-init (callers split it off). */
  private write(state: StoredState): Promise<void> {
    if (state.vms.some(hasInlineCloudInit)) {
      return Promise.reject(new HvsError({
        code: 'HVS-AGENT-STATE-PLAINTEXT', category: 'Internal',
        message: `refusing to write cloud-init user data or network config into ${this.path}`,
        why: 'secret material is kept in memory only, never in the agent state file',
        fix: 'this is a bug of the agent: report it (the Assign is refused, nothing was written)',
      }));
    }
    return writeFileAtomic(this.path, JSON.stringify({ ...state, checksum: checksumOf(state) }));
  }

  /** A new spec forgets the render of the old one; renders of the accepted Assign replace it. */
  private index(): void {
    const before = this.byUid;
    this.byUid = new Map(this.state.vms.map((v) => [v.metadata.uid as string, v]));
    for (const [uid, vm] of this.byUid) if (before.get(uid) !== vm) this.renderedByUid.delete(uid);
    for (const uid of this.renderedByUid.keys()) if (!this.byUid.has(uid)) this.renderedByUid.delete(uid);
  }

  /** The material of the accepted Assign replaces what was held (a VM without any has none). */
  private keepCloudInit(material: Assignment['cloudInit']): void {
    this.cloudInitByUid = new Map(Object.entries(material ?? {}).filter(([uid]) => this.byUid.has(uid)));
  }

  private keepRenders(rendered: Assignment['rendered']): void {
    for (const [uid, r] of Object.entries(rendered ?? {})) this.keepRendered(uid, r);
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private corrupt(why: string): HvsError {
    return new HvsError({
      code: 'HVS-AGENT-STATE-CORRUPT', category: 'FailedPrecondition',
      message: `the agent state file ${this.path} is unusable`, why,
      fix: `move it aside (mv ${this.path} ${this.path}.bad) and restart: the agent then waits for the controller's next Assign (running VMs are adopted, not restarted)`,
    });
  }
}
