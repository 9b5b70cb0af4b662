/**
 * The domain XML is rendered once per Assign: at the gRPC edge, where the Assign is checked.
 * The reconciler defines that XML as is, and renders only when it has none for this host's
 * current facts: after an agent restart (renders are not persisted), or when the facts
 * changed (an image appeared). Counted with the reconciler's render seam.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { domainName, renderDomainXml, type HostFacts, type VirtualMachine } from '@hvs/domain';
import { testVm } from '../support/fixtures';
import { ReconcilerWorld } from './harness';

const UID = 'aaaaaaaa-0000-4000-8000-000000000001';

describe('one render per Assign', () => {
  let world: ReconcilerWorld;
  let renders: string[];
  const counting = (vm: VirtualMachine, facts: HostFacts) => {
    renders.push(vm.metadata.uid as string);
    return renderDomainXml(vm, facts);
  };
  beforeEach(async () => {
    world = await ReconcilerWorld.create();
    renders = [];
  });
  afterEach(() => world.cleanup());

  it('defines the XML rendered when the Assign was checked, and renders nothing in the reconciler', async () => {
    const a = await world.boot({ render: counting });
    await world.assignChecked(a, [testVm('web-1', UID)]);
    const checked = a.store.rendered(UID);
    expect(checked?.xml).toContain(`<name>${domainName(UID)}</name>`);
    const defined = jest.spyOn(world.driver, 'define');
    await a.reconciler.reconcileDomain(UID);
    await a.reconciler.reconcileDomain(UID); // a resync pass
    expect(defined.mock.calls.map((c) => c[1])).toEqual([checked!.xml]);
    expect(renders).toEqual([]);
    expect(a.observed.get(UID)).toMatchObject({ phase: 'Running' });
  });

  it('a changed spec comes with its own render; the old one is never reused', async () => {
    const a = await world.boot({ render: counting });
    await world.assignChecked(a, [testVm('web-1', UID)]);
    await a.reconciler.reconcileDomain(UID);
    await world.assignChecked(a, [testVm('web-1', UID, { generation: 2, memory: '128MiB' })]);
    expect(a.store.rendered(UID)?.xml).toContain('131072'); // KiB
    await a.reconciler.reconcileDomain(UID);
    expect(renders).toEqual([]);
  });

  it('after a restart: one render per VM (renders are not persisted), then none', async () => {
    const first = await world.boot({ render: counting });
    await world.assignChecked(first, [testVm('web-1', UID)]);
    await first.reconciler.reconcileDomain(UID);
    const restarted = await world.boot({ render: counting });
    await restarted.reconciler.reconcileDomain(UID);
    await restarted.reconciler.reconcileDomain(UID);
    expect(renders).toEqual([UID]);
    expect(restarted.store.rendered(UID)?.xml).toBe(first.store.rendered(UID)?.xml);
  });

  it('renders again once this host\'s facts changed (an image became verified in the cache)', async () => {
    const a = await world.boot({ render: counting });
    await world.assignChecked(a, [testVm('web-1', UID)]);
    await a.reconciler.reconcileDomain(UID);
    await mkdir(join(world.dir, 'images', 'sha256'), { recursive: true });
    await writeFile(join(world.dir, 'images', 'sha256', 'ab'.repeat(32)), '');
    a.volumes.useImages(() => ({ debian: { path: join(world.dir, 'images', 'sha256', 'ab'.repeat(32)), format: 'iso' } }));
    await a.reconciler.reconcileDomain(UID);
    await a.reconciler.reconcileDomain(UID);
    expect(renders).toEqual([UID]);
  });
});
