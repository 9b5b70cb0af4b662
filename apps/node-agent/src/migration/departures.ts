import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../state/atomic-file';

/**
 * The VMs this host must keep its hands off while they move (DESIGN §3: a VM never runs on
 * two hosts at once). `migrating`: a Migrate call is running (the domain may pause or vanish
 * under libvirt's job). `departed`: libvirt reported success, the guest runs on the target,
 * but the assignment may still list it until the controller flips the VM's node; the domain
 * reconciler must neither restart it here nor delete disks the target may share. Departures
 * are persisted (an agent restarted in that window must not boot the guest again) and
 * forgotten once the assignment drops the VM.
 */
export class Departures {
  private readonly inflight = new Set<string>();
  private departed = new Set<string>();
  private readonly file: string;
  private chain: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.file = join(stateDir, 'departed.json');
  }

  async load(): Promise<void> {
    try {
      const uids = JSON.parse(await readFile(this.file, 'utf8')) as unknown;
      if (Array.isArray(uids)) this.departed = new Set(uids.filter((u): u is string => typeof u === 'string'));
    } catch {
      // Absent (the usual case) or unreadable: nothing departed. A torn file cannot happen (atomic writes).
    }
  }

  held(uid: string): 'migrating' | 'departed' | undefined {
    if (this.inflight.has(uid)) return 'migrating';
    return this.departed.has(uid) ? 'departed' : undefined;
  }

  /** false when a migration of `uid` already runs. */
  begin(uid: string): boolean {
    if (this.inflight.has(uid)) return false;
    this.inflight.add(uid);
    return true;
  }

  /** The migration ended; `departed`: it succeeded (persisted before this resolves). */
  async end(uid: string, departed: boolean): Promise<void> {
    if (departed) {
      this.departed.add(uid);
      await this.save();
    }
    this.inflight.delete(uid);
  }

  async forget(uid: string): Promise<void> {
    if (!this.departed.delete(uid)) return;
    await this.save();
  }

  private save(): Promise<void> {
    const data = JSON.stringify([...this.departed].sort());
    this.chain = this.chain.then(() => writeFileAtomic(this.file, data), () => writeFileAtomic(this.file, data));
    return this.chain;
  }
}
