import { join } from 'node:path';
import type { Logger } from 'pino';
import { cloudInitNics, HvsError, renderCloudInitSeed, type VirtualMachine } from '@hvs/domain';
import { TerminalError } from '@hvs/reconcile';
import type { Prerequisite, RestartNote } from '../domains/domain-reconciler';
import { problemOf, type Wait } from '../domains/phase';
import type { AssignmentStore } from '../state/assignment-store';
import type { VolumeSet } from '../storage';
import { readSeedInstanceId, writeSeedIso } from './seed-iso';

export interface CloudInitSeedsOptions {
  store: AssignmentStore;
  volumes: VolumeSet;
  /** The agent's state dir: the private temp dirs of seed builds go under it. */
  stateDir: string;
  log: Logger;
  genisoimage?: string;
}

/** What a running VM reports while a newer seed than the one it booted with waits for its restart. */
export const SEED_PENDING_RESTART = 'spec.cloudInit (a new seed is ready; cloud-init reads it at the next start)';

/**
 * The NoCloud seeds of this node's VMs (docs/cloud-init.md). `prerequisite` keeps a VM with
 * spec.cloudInit Pending (CloudInitPending) until its material is here (in memory only: after an
 * agent restart it comes with the controller's next Assign) and every secretRef is resolved, and
 * builds the seed right then, before the domain is defined and started; `restartNote` rebuilds
 * the seed of a running VM whose cloud-init changed and reports it like a pendingRestart field.
 *
 * A seed is rebuilt only when its instance-id (read back from the ISO) differs from the render:
 * an unchanged spec costs one 2 KiB read per pass. Logs name the VM, the seed path and the
 * instance-id, never user-data or secret values; errors come from the renderer (which names
 * fields and Secrets only) and from genisoimage (file names only).
 */
export class CloudInitSeeds {
  /** uid -> the instance-id of the seed its running domain was started with. */
  private readonly booted = new Map<string, string>();

  constructor(private readonly o: CloudInitSeedsOptions) {}

  readonly prerequisite: Prerequisite = async (uid, vm) => {
    const r = await this.ensure(uid, vm);
    if ('wait' in r) return r.wait;
    if (r.instanceId !== undefined) this.booted.set(uid, r.instanceId);
    else this.booted.delete(uid);
    return undefined;
  };

  readonly restartNote: RestartNote = async (uid, vm) => {
    this.prune();
    if (vm.spec.cloudInit === undefined || this.o.store.cloudInit(uid) === undefined) return [];
    try {
      if (!this.booted.has(uid)) {
        // Adopted after an agent restart: it booted with the seed on disk (only we write it).
        this.booted.set(uid, (await readSeedInstanceId((await this.o.volumes.seedPath(uid, vm)).path)) ?? '');
      }
      const r = await this.ensure(uid, vm);
      if ('wait' in r) return [`spec.cloudInit (no new seed: ${r.wait.problem?.code ?? r.wait.reason})`];
      return r.instanceId !== this.booted.get(uid) ? [SEED_PENDING_RESTART] : [];
    } catch (e) {
      // A running guest is never stopped for its seed: say why there is no new one.
      this.o.log.warn({ uid, code: (e as HvsError).code }, `cloud-init seed of running VM ${vm.metadata.name} not rebuilt`);
      return [`spec.cloudInit (no new seed: ${(e as HvsError).code ?? 'error'})`];
    }
  };

  /** Renders the seed of `vm` and writes it when what is on disk differs; a wait when it cannot yet. */
  private async ensure(uid: string, vm: VirtualMachine): Promise<{ instanceId?: string } | { wait: Wait }> {
    if (vm.spec.cloudInit === undefined) return {};
    const material = this.o.store.cloudInit(uid);
    if (material === undefined) {
      return {
        wait: {
          reason: 'CloudInitPending',
          message: 'waiting for the cloud-init material from the controller (held in memory only; after an agent restart it comes with the next Assign)',
        },
      };
    }
    let seed;
    try {
      seed = renderCloudInitSeed(vm, cloudInitNics(vm, this.o.store.nics(uid)), material);
    } catch (e) {
      if (!(e instanceof HvsError)) throw e;
      if (e.category === 'InvalidArgument') throw new TerminalError(e.message, { cause: e, reason: 'InvalidSpec' });
      return { wait: { reason: 'CloudInitPending', message: e.message, problem: problemOf(e) } };
    }
    const { path } = await this.o.volumes.seedPath(uid, vm);
    if ((await readSeedInstanceId(path)) !== seed.instanceId) {
      await writeSeedIso(path, seed, { workDir: join(this.o.stateDir, 'tmp'), ...(this.o.genisoimage ? { genisoimage: this.o.genisoimage } : {}) });
      this.o.log.info({ uid, seed: path, instanceId: seed.instanceId }, `cloud-init seed of VM ${vm.metadata.name} built`);
    }
    return { instanceId: seed.instanceId };
  }

  /** Forgets VMs no longer assigned (the map only ever holds one short string per VM). */
  private prune(): void {
    if (this.booted.size <= this.o.store.desiredVms().length + 64) return;
    for (const uid of this.booted.keys()) if (this.o.store.desired(uid) === undefined) this.booted.delete(uid);
  }
}
