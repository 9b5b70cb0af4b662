import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { HvsError, validateKind, type VirtualMachine } from '@hvs/domain';
import { writeFileAtomic } from './atomic-file';

/** How a Network is realised on this host (the renderer's `HostFacts.networks` entry). */
export interface NetworkRealisation {
  bridge?: string;
  libvirtNetwork?: string;
}

/** One accepted Assign: the whole desired set for this host. */
export interface Assignment {
  generation: number;
  fencingToken: number;
  /** Validated VirtualMachines, each with metadata.uid. */
  vms: VirtualMachine[];
  networks: Record<string, NetworkRealisation>;
}

interface StoredState extends Assignment {
  version: 1;
  node: string;
  /** VMs dropped from the desired set whose domain/volumes are not cleaned up yet. */
  removing: string[];
  savedAt: string;
}

export const STATE_FILE = 'assignment.json';

/**
 * The agent's last accepted assignment, persisted atomically in the state dir, so an agent that
 * restarts without a controller keeps its VMs as they were. Guarantees:
 * - an Assign with a generation older than the stored one is refused (HVS-AGENT-STALE-GENERATION);
 * - a fencing token older than the highest seen is refused (HVS-AGENT-STALE-FENCING-TOKEN);
 * - a VM dropped from the desired set stays in `removing` until its cleanup finished, so a
 *   crash mid-removal is finished after the restart and nothing is leaked;
 * - writes are serialised (one at a time, in call order).
 */
export class AssignmentStore {
  private state: StoredState;
  private byUid = new Map<string, VirtualMachine>();
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
    let raw: StoredState;
    try {
      raw = JSON.parse(text) as StoredState;
    } catch (e) {
      throw this.corrupt(`it is not JSON: ${(e as Error).message}`);
    }
    if (raw?.version !== 1 || !Array.isArray(raw.vms) || !Array.isArray(raw.removing)) throw this.corrupt('it has no version-1 assignment');
    const vms: VirtualMachine[] = [];
    for (const vm of raw.vms) {
      const r = validateKind('VirtualMachine', vm);
      if (!r.ok) throw this.corrupt(`VM ${JSON.stringify((vm as VirtualMachine)?.metadata?.name)} is invalid: ${r.problems[0]?.code}`);
      vms.push(r.value);
    }
    this.state = { ...raw, vms };
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
        && JSON.stringify(next.networks) === JSON.stringify(this.state.networks);
      if (same && next.fencingToken === this.state.fencingToken) return { removed: [], unchanged: true };
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
      const state: StoredState = { ...this.state, ...next, node: this.node, removing, savedAt: new Date().toISOString() };
      await writeFileAtomic(this.path, JSON.stringify(state));
      this.state = state;
      this.index();
      return { removed: dropped, unchanged: false };
    });
  }

  /** The removal of `uid` is complete (domain undefined, volumes handled): forget it. */
  finishRemoval(uid: string): Promise<void> {
    return this.serial(async () => {
      if (!this.state.removing.includes(uid)) return;
      const state = { ...this.state, removing: this.state.removing.filter((u) => u !== uid), savedAt: new Date().toISOString() };
      await writeFileAtomic(this.path, JSON.stringify(state));
      this.state = state;
    });
  }

  private index(): void {
    this.byUid = new Map(this.state.vms.map((v) => [v.metadata.uid as string, v]));
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
