import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { HostFacts as RenderFacts, InterfaceObservation, SecurityModel, VirtualMachine } from '@hvs/domain';
import { FakeClock } from '@hvs/reconcile';
import { FakeHypervisorDriver, type DomainEvent } from '../../src/hypervisor';
import { ObservedState } from '../../src/observed/observed-state';
import { DomainReconciler, type Prerequisite, type RestartNote } from '../../src/domains/domain-reconciler';
import { VolumeSet } from '../../src/storage';
import { AssignmentStore } from '../../src/state/assignment-store';
import { assignmentFromRequest } from '../../src/grpc/assign-request';
import { assignRequest, tempDir } from '../support/fixtures';

/** One "agent process" over a shared fake hypervisor and state dir: make another to simulate a restart. */
export interface AgentParts {
  store: AssignmentStore;
  observed: ObservedState;
  volumes: VolumeSet;
  reconciler: DomainReconciler;
  published: ReturnType<ObservedState['watch']>;
}

export class ReconcilerWorld {
  readonly clock = new FakeClock(1_700_000_000_000);
  readonly driver = new FakeHypervisorDriver({ clock: this.clock });
  readonly driverEvents: DomainEvent[] = [];
  private generation = 0;

  private constructor(readonly dir: string, readonly cleanup: () => Promise<void>) {
    void (async () => {
      for await (const e of this.driver.events()) this.driverEvents.push(e);
    })();
  }

  static async create(): Promise<ReconcilerWorld> {
    const t = await tempDir('hvs-reconcile-');
    const world: ReconcilerWorld = new ReconcilerWorld(t.dir, async () => {
      await world.driver.close();
      await t.cleanup();
    });
    return world;
  }

  get poolDir(): string {
    return join(this.dir, 'pool');
  }

  async boot(opts: {
    diskPolicy?: 'delete' | 'keep'; render?: (vm: VirtualMachine, facts: RenderFacts) => string; securityModel?: () => SecurityModel | undefined; prerequisites?: Prerequisite[];
    restartNotes?: RestartNote[]; interfaces?: (uid: string) => InterfaceObservation[];
  } = {}): Promise<AgentParts> {
    const store = new AssignmentStore(join(this.dir, 'state'), 'node-1');
    await store.load();
    const observed = new ObservedState();
    const volumes = new VolumeSet({ default: this.poolDir }, join(this.dir, 'images'));
    await volumes.prepare();
    const reconciler = new DomainReconciler({
      driver: this.driver, store, observed, volumes, clock: this.clock, nodeName: 'node-1', domainType: 'qemu',
      shutdownTimeoutMs: 5000, diskPolicy: opts.diskPolicy ?? 'delete', ...(opts.render ? { render: opts.render } : {}),
      ...(opts.securityModel ? { securityModel: opts.securityModel } : {}),
      ...(opts.prerequisites ? { prerequisites: opts.prerequisites } : {}),
      ...(opts.restartNotes ? { restartNotes: opts.restartNotes } : {}),
      ...(opts.interfaces ? { interfaces: opts.interfaces } : {}),
    });
    return { store, observed, volumes, reconciler, published: observed.watch(() => ({ host: undefined, observedGeneration: store.generation, fencingToken: 0 })) };
  }

  /** Replaces the desired set (next generation) the way an accepted Assign does. */
  async assign(parts: AgentParts, vms: VirtualMachine[]): Promise<string[]> {
    this.generation = Math.max(this.generation, parts.store.generation) + 1;
    await parts.store.replace({ generation: this.generation, fencingToken: this.generation, vms, networks: {} });
    return parts.store.uids();
  }

  /** Replaces the desired set the way the gRPC Assign handler does: checked (and rendered) at the edge, then stored. */
  async assignChecked(parts: AgentParts, vms: VirtualMachine[]): Promise<void> {
    this.generation = Math.max(this.generation, parts.store.generation) + 1;
    const req = assignRequest(vms, this.generation, this.generation, 'node-1');
    const { assignment } = assignmentFromRequest(req, { nodeName: 'node-1', facts: parts.reconciler.hostFacts(await parts.volumes.images()) });
    await parts.store.replace(assignment);
  }

  async volumeFiles(): Promise<string[]> {
    return (await readdir(this.poolDir)).sort();
  }
}
