/**
 * The reconciler renders the host's MAC model (sVirt) into every domain: a confining host's
 * domains carry `<seclabel type='dynamic' relabel='yes'/>`; when the host's model changes
 * (libvirtd restarted with another security_driver), domains are defined again; a running one
 * keeps its old label until its next start (pendingRestart lists spec changes only).
 */
import { domainName, type SecurityModel } from '@hvs/domain';
import { testVm } from '../support/fixtures';
import { ReconcilerWorld } from './harness';

const UID = 'aaaaaaaa-0000-4000-8000-0000000000a1';

describe('seclabel in the defined domain', () => {
  let world: ReconcilerWorld;
  beforeEach(async () => {
    world = await ReconcilerWorld.create();
  });
  afterEach(() => world.cleanup());

  it('follows the host\'s security model, redefining on a change', async () => {
    let model: SecurityModel | undefined = 'apparmor';
    const a = await world.boot({ securityModel: () => model });
    await world.assignChecked(a, [testVm('web-1', UID)]);
    const defined = jest.spyOn(world.driver, 'define');
    await a.reconciler.reconcileDomain(UID);
    expect(defined.mock.calls.at(-1)?.[1]).toContain(`<seclabel type='dynamic' model='apparmor' relabel='yes'/>`);
    expect(a.observed.get(UID)).toMatchObject({ phase: 'Running' });

    model = undefined;
    await a.reconciler.reconcileDomain(UID);
    expect(defined).toHaveBeenCalledTimes(2);
    expect(defined.mock.calls.at(-1)?.[1]).not.toContain('<seclabel');
    expect(await world.driver.get(domainName(UID))).toMatchObject({ state: 'running' });
  });
});
