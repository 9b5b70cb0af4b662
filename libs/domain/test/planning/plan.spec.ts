import { needsRestart, mayNeedMigration, planBatch, planKey, planObject, SENSITIVE_MASK } from '../../src/planning';
import { HvsError } from '../../src/errors';
import { edit, labNetwork, storedWebVm, webVm, type Loose } from './fixtures';

describe('planObject', () => {
  it('an object that does not exist yet is a create', () => {
    expect(planObject(undefined, webVm())).toEqual({ kind: 'VirtualMachine', name: 'web-1', action: 'create', changes: [] });
  });

  it('the stored version of the same document is unchanged (server-set fields and status ignored)', () => {
    const plan = planObject(storedWebVm(), webVm());
    expect(plan.action).toBe('unchanged');
    expect(plan.changes).toEqual([]);
  });

  it('a memory edit is an update that needs a restart', () => {
    const plan = planObject(storedWebVm(), edit(webVm(), (s) => (s.memory.size = '4GiB')));
    expect(plan.action).toBe('update');
    expect(plan.changes).toEqual([{ path: 'spec.memory.size', old: '2GiB', new: '4GiB', effect: 'restart' }]);
    expect(needsRestart(plan)).toBe(true);
  });

  it('a label edit changes nothing on the guest', () => {
    const plan = planObject(storedWebVm(), edit(webVm(), (_s, m) => (m.labels.tier = 'edge')));
    expect(plan.changes).toEqual([{ path: 'metadata.labels.tier', old: 'frontend', new: 'edge', effect: 'none' }]);
    expect(needsRestart(plan)).toBe(false);
  });

  it('labels and annotations with characters outside identifiers are quoted in the path', () => {
    const plan = planObject(storedWebVm(), edit(webVm(), (_s, m) => (m.annotations = { 'hvs.dev/owner': 'ops' })));
    expect(plan.changes).toEqual([{ path: 'metadata.annotations["hvs.dev/owner"]', new: 'ops', effect: 'none' }]);
  });

  it('leaving out a field that held its default is not a change', () => {
    const explicit = edit(webVm(), (s) => {
      s.cpu = { cores: 2, sockets: 1, threads: 1, model: 'host-passthrough' };
      s.firmware = { type: 'bios' };
      s.disks[0].format = 'qcow2';
      s.disks[0].pool = 'default';
      s.disks[1].bus = 'virtio';
      s.networks[0].model = 'virtio';
      s.placement.strategy = 'spread';
    });
    const implicit = edit(webVm(), (s) => delete s.runState);
    expect(planObject(explicit, implicit).action).toBe('unchanged');
    expect(planObject(implicit, explicit).action).toBe('unchanged');
  });

  it('the same size written in another unit is not a change', () => {
    expect(planObject(webVm(), edit(webVm(), (s) => (s.memory.size = '2048MiB'))).action).toBe('unchanged');
  });

  it('runState is a state change with a start/stop note, not a restart', () => {
    const stopped = edit(webVm(), (s) => (s.runState = 'Stopped'));
    expect(planObject(webVm(), stopped).changes).toEqual([{ path: 'spec.runState', old: 'Running', new: 'Stopped', effect: 'none', note: 'stop' }]);
    expect(planObject(stopped, webVm()).changes[0]).toMatchObject({ effect: 'none', note: 'start' });
  });

  it('adding and removing a NIC is hot-plugged; a NIC model change needs a restart', () => {
    const twoNics = edit(webVm(), (s) => s.networks.push({ name: 'eth1', network: 'storage' }));
    expect(planObject(webVm(), twoNics).changes).toEqual([
      { path: 'spec.networks[name=eth1]', new: { name: 'eth1', network: 'storage', model: 'virtio' }, effect: 'hotplug' },
    ]);
    expect(planObject(twoNics, webVm()).changes[0]).toMatchObject({ path: 'spec.networks[name=eth1]', effect: 'hotplug' });
    const e1000 = edit(webVm(), (s) => (s.networks[0].model = 'e1000'));
    expect(planObject(webVm(), e1000).changes).toEqual([{ path: 'spec.networks[name=eth0].model', old: 'virtio', new: 'e1000', effect: 'restart' }]);
  });

  it('firewall policy edits are applied live', () => {
    const plan = planObject(webVm(), edit(webVm(), (s) => (s.networks[0].firewall.policies = ['web-in', 'ssh-in'])));
    expect(plan.changes).toEqual([expect.objectContaining({ path: 'spec.networks[name=eth0].firewall.policies', effect: 'none' })]);
  });

  it('disks are matched by name: bus/format need a restart, growing is online, SATA cannot be hot-plugged', () => {
    const bus = planObject(webVm(), edit(webVm(), (s) => (s.disks[1].bus = 'scsi')));
    expect(bus.changes).toEqual([{ path: 'spec.disks[name=data].bus', old: 'virtio', new: 'scsi', effect: 'restart' }]);
    const grow = planObject(webVm(), edit(webVm(), (s) => (s.disks[1].size = '100GiB')));
    expect(grow.changes[0]).toMatchObject({ path: 'spec.disks[name=data].size', effect: 'hotplug' });
    const shrink = planObject(webVm(), edit(webVm(), (s) => (s.disks[1].size = '10GiB')));
    expect(shrink.changes[0]).toMatchObject({ effect: 'restart', note: 'disks are never shrunk online' });
    const addVirtio = planObject(webVm(), edit(webVm(), (s) => s.disks.push({ name: 'logs', size: '5GiB' })));
    expect(addVirtio.changes).toEqual([expect.objectContaining({ path: 'spec.disks[name=logs]', effect: 'hotplug' })]);
    const addSata = planObject(webVm(), edit(webVm(), (s) => s.disks.push({ name: 'logs', size: '5GiB', bus: 'sata' })));
    expect(addSata.changes[0]).toMatchObject({ effect: 'restart', note: 'sata disks cannot be hot-plugged' });
  });

  it('reordering disks is one change that needs a restart, not one per disk', () => {
    const plan = planObject(webVm(), edit(webVm(), (s) => s.disks.reverse()));
    expect(plan.changes).toEqual([
      { path: 'spec.disks', old: ['root', 'data'], new: ['data', 'root'], effect: 'restart', note: 'disk order sets device names and default boot order' },
    ]);
  });

  it('firmware, cdrom and devices need a restart', () => {
    for (const f of [
      (s: Loose) => (s.firmware = { type: 'uefi', secureBoot: true }),
      (s: Loose) => (s.cdrom = { image: 'virtio-win' }),
      (s: Loose) => (s.devices = { hostdevs: [{ name: 'gpu', pciAddress: '0000:01:00.0' }] }),
    ]) {
      const plan = planObject(webVm(), edit(webVm(), f));
      expect(plan.changes.length).toBeGreaterThan(0);
      expect(plan.changes.every((c) => c.effect === 'restart')).toBe(true);
    }
  });

  it('placement changes may need a migration', () => {
    const plan = planObject(webVm(), edit(webVm(), (s) => (s.placement.antiAffinity = [{ labelSelector: { app: 'web' } }])));
    expect(plan.changes).toEqual([
      expect.objectContaining({ path: 'spec.placement.antiAffinity', new: [{ labelSelector: { app: 'web' }, required: true }], effect: 'migration' }),
    ]);
    expect(mayNeedMigration(plan)).toBe(true);
    expect(needsRestart(plan)).toBe(false);
    const selector = planObject(webVm(), edit(webVm(), (s) => (s.placement.nodeSelector.zone = 'b')));
    expect(selector.changes).toEqual([expect.objectContaining({ path: 'spec.placement.nodeSelector.zone', effect: 'migration' })]);
  });

  it('never shows cloud-init user data, only that it changed', () => {
    const plan = planObject(webVm(), edit(webVm(), (s) => (s.cloudInit.userData = '#cloud-config\npassword: s3cret\n')));
    expect(plan.changes).toEqual([
      { path: 'spec.cloudInit.userData', old: SENSITIVE_MASK, new: SENSITIVE_MASK, effect: 'restart', note: 'cloud-init reads it at boot', sensitive: true },
    ]);
    expect(JSON.stringify(plan)).not.toMatch(/hunter2|s3cret/);
  });

  it('never shows a Secret value or cloud-init network config, only that it changed', () => {
    const secret = (data: Record<string, string>) => ({ apiVersion: 'hvs/v1', kind: 'Secret', metadata: { name: 'db' }, spec: { data } }) as never;
    const plan = planObject(secret({ password: 'hunter2' }), secret({ password: 's3cret', user: 'app-owner' }));
    expect(plan.changes.map((c) => [c.path, c.sensitive])).toEqual([['spec.data.password', true], ['spec.data.user', true]]);
    expect(JSON.stringify(plan)).not.toMatch(/hunter2|s3cret|app-owner/);
    const net = planObject(webVm(), edit(webVm(), (s) => (s.cloudInit.networkConfig = 'version: 2 # s3cret')));
    expect(JSON.stringify(net)).not.toMatch(/s3cret/);
  });

  it('changes of other kinds have no restart effect', () => {
    const plan = planObject(labNetwork(), edit(labNetwork(), (s) => (s.subnet = '10.20.0.0/24')));
    expect(plan.changes).toEqual([{ path: 'spec.subnet', old: '10.10.0.0/24', new: '10.20.0.0/24', effect: 'none' }]);
  });

  it('Node defaults (overcommit cpu 4, memory 1.0) are not changes', () => {
    const node = { apiVersion: 'hvs/v1', kind: 'Node', metadata: { name: 'host-a' }, spec: {} };
    const explicit = edit(node, (s) => (s.overcommit = { cpu: 4, memory: 1 }));
    expect(planObject(node, explicit).action).toBe('unchanged');
    expect(planObject(node, edit(node, (s) => (s.cordoned = true))).changes).toEqual([{ path: 'spec.cordoned', old: false, new: true, effect: 'none' }]);
  });
});

describe('planBatch', () => {
  it('plans each document against the stored object with the same kind and name, in batch order', () => {
    const stored = storedWebVm();
    const currents = new Map([[planKey(stored), stored]]);
    const plans = planBatch(currents, [labNetwork(), edit(webVm(), (s) => (s.cpu.cores = 4))]);
    expect(plans.map((p) => [p.kind, p.name, p.action])).toEqual([
      ['Network', 'lab', 'create'],
      ['VirtualMachine', 'web-1', 'update'],
    ]);
    expect(plans[1].changes).toEqual([{ path: 'spec.cpu.cores', old: 2, new: 4, effect: 'restart' }]);
  });

  it('refuses a batch that names one object twice', () => {
    let thrown: unknown;
    try {
      planBatch(new Map(), [webVm(), labNetwork(), webVm()]);
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(HvsError);
    expect(thrown).toMatchObject({ code: 'HVS-APPLY-DUPLICATE-OBJECT', category: 'InvalidArgument' });
    expect((thrown as HvsError).message).toContain('VirtualMachine/web-1');
  });
});
