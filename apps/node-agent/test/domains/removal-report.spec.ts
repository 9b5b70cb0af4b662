/**
 * What the controller's VM finalizer waits on: the agent reports a removed VM as cleaned up
 * (VmRemoved.cleaned_up) only once its domain is undefined and its volumes are gone (or kept
 * by policy), also after a restart in the middle of the removal, and never when a step failed.
 */
import { readdirSync } from 'node:fs';
import type { ObservedChange, SequencedChange } from '../../src/observed/observed-state';
import { testVm } from '../support/fixtures';
import { ReconcilerWorld, type AgentParts } from './harness';

const UID = 'cccccccc-0000-4000-8000-000000000003';
const DISKS = [{ name: 'root', size: '16MiB' }];

type Removed = Extract<ObservedChange, { type: 'vmRemoved' }>;

interface Seen {
  report: Omit<Removed, 'type'>;
  filesThen: string[];
  domainThen: boolean;
}

/** The cleaned-up reports as published, each with the pool's files and the domain as they were at that instant. */
function recordRemovals(world: ReconcilerWorld, parts: AgentParts): () => Promise<Seen[]> {
  const at: Promise<Omit<Seen, 'report'>>[] = [];
  // Observe the publication as it happens (the fake driver's get reads its state when called); everything passes through.
  const publish = parts.observed.cleanedUp.bind(parts.observed);
  parts.observed.cleanedUp = (uid, name, kept) => {
    const filesThen = readdirSync(world.poolDir).sort();
    at.push(world.driver.get(`hvs-${uid}`).then((d) => ({ filesThen, domainThen: d !== undefined })));
    publish(uid, name, kept);
  };
  const stream = parts.published[Symbol.asyncIterator]();
  const reports: Omit<Removed, 'type'>[] = [];
  return async () => {
    // Everything published so far: the snapshot carries the sequence it covers, events count up from it.
    let seq = -1;
    while (seq < parts.observed.sequence) {
      const ev = (await stream.next()).value as SequencedChange;
      seq = ev.sequence;
      if (ev.change.type === 'vmRemoved' && ev.change.cleanedUp) {
        const { type: _type, ...report } = ev.change;
        reports.push(report);
      }
    }
    const states = await Promise.all(at);
    return reports.map((report, i) => ({ report, ...states[i]! }));
  };
}

describe('the agent reports a removed VM as cleaned up only when nothing of it is left', () => {
  let world: ReconcilerWorld;
  beforeEach(async () => {
    world = await ReconcilerWorld.create();
  });
  afterEach(() => world.cleanup());

  it('cleaned_up comes after undefine and volume deletion, with the VM name it was known by', async () => {
    const a = await world.boot();
    const seen = recordRemovals(world, a);
    await world.assign(a, [testVm('db-1', UID, { disks: DISKS })]);
    await a.reconciler.reconcileDomain(UID);
    expect(await world.volumeFiles()).toEqual([`hvs-${UID}-root.qcow2`]);
    await world.assign(a, []);
    expect(a.store.removingUids()).toEqual([UID]);
    await a.reconciler.reconcileDomain(UID);
    expect(await seen()).toEqual([{ report: { uid: UID, name: 'db-1', cleanedUp: true, volumesKept: false }, filesThen: [], domainThen: false }]);
    expect(a.store.removingUids()).toEqual([]);
  });

  it('a failed undefine reports nothing and keeps the removal pending; the retry reports', async () => {
    const a = await world.boot();
    const seen = recordRemovals(world, a);
    await world.assign(a, [testVm('db-1', UID, { disks: DISKS })]);
    await a.reconciler.reconcileDomain(UID);
    await world.assign(a, []);
    world.driver.failNext('undefine');
    await expect(a.reconciler.reconcileDomain(UID)).rejects.toMatchObject({ code: 'HVS-LIBVIRT-FAILED' });
    expect(await seen()).toEqual([]);
    expect(a.store.removingUids()).toEqual([UID]);
    expect(await world.volumeFiles()).toEqual([`hvs-${UID}-root.qcow2`]);
    await a.reconciler.reconcileDomain(UID);
    expect((await seen()).map((s) => [s.report.cleanedUp, s.filesThen, s.domainThen])).toEqual([[true, [], false]]);
  });

  it('an agent restarted in the middle of a removal finishes it and reports cleaned_up though it never reported the VM', async () => {
    const first = await world.boot();
    await world.assign(first, [testVm('db-1', UID, { disks: DISKS })]);
    await first.reconciler.reconcileDomain(UID);
    await world.assign(first, []); // accepted and persisted, then the process dies before any clean-up

    const second = await world.boot();
    const seen = recordRemovals(world, second);
    expect(second.store.removingUids()).toEqual([UID]);
    expect(second.observed.get(UID)).toBeUndefined();
    await second.reconciler.reconcileDomain(UID);
    expect(await seen()).toEqual([{ report: { uid: UID, name: `hvs-${UID}`, cleanedUp: true, volumesKept: false }, filesThen: [], domainThen: false }]);
  });

  it('with the keep disk policy: cleaned_up with volumes_kept once the domain is undefined', async () => {
    const a = await world.boot({ diskPolicy: 'keep' });
    const seen = recordRemovals(world, a);
    await world.assign(a, [testVm('db-1', UID, { disks: DISKS })]);
    await a.reconciler.reconcileDomain(UID);
    await world.assign(a, []);
    await a.reconciler.reconcileDomain(UID);
    expect(await seen()).toEqual([{ report: { uid: UID, name: 'db-1', cleanedUp: true, volumesKept: true }, filesThen: [`hvs-${UID}-root.qcow2`], domainThen: false }]);
  });
});
