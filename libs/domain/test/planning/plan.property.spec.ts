import fc from 'fast-check';
import { planObject, type PlanResource } from '../../src/planning';

const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,10}[a-z0-9]$/);
const size = fc.tuple(fc.integer({ min: 1, max: 512 }), fc.constantFrom('MiB', 'GiB')).map(([n, u]) => `${n}${u}`);
const labels = fc.dictionary(fc.constantFrom('app', 'tier', 'env', 'hvs.dev/team'), name, { maxKeys: 3 });

const disk = fc.record(
  { name, size, bus: fc.constantFrom('virtio', 'scsi', 'sata'), format: fc.constantFrom('qcow2', 'raw'), image: name, boot: fc.integer({ min: 1, max: 4 }) },
  { requiredKeys: ['name'] },
);
const nic = fc.record({ name, network: name, model: fc.constantFrom('virtio', 'e1000'), firewall: fc.record({ policies: fc.array(name, { maxLength: 3 }) }) }, { requiredKeys: ['name', 'network'] });

/** Realistic VirtualMachine documents: most optional fields present or absent at random. */
const vm: fc.Arbitrary<PlanResource> = fc
  .record({
    name,
    labels,
    cpu: fc.record({ cores: fc.integer({ min: 1, max: 64 }), sockets: fc.integer({ min: 1, max: 4 }), model: fc.constantFrom('host-passthrough', 'host-model', 'EPYC') }, { requiredKeys: ['cores'] }),
    memory: fc.record({ size }),
    firmware: fc.option(fc.record({ type: fc.constantFrom('bios', 'uefi'), secureBoot: fc.boolean(), tpm: fc.boolean() }, { requiredKeys: ['type'] }), { nil: undefined }),
    disks: fc.uniqueArray(disk, { selector: (d) => d.name, maxLength: 4 }),
    networks: fc.uniqueArray(nic, { selector: (n) => n.name, maxLength: 3 }),
    placement: fc.option(fc.record({ nodeSelector: labels, strategy: fc.constantFrom('spread', 'binpack'), antiAffinity: fc.array(fc.record({ labelSelector: labels }), { maxLength: 2 }) }, { requiredKeys: [] }), { nil: undefined }),
    runState: fc.option(fc.constantFrom('Running', 'Stopped'), { nil: undefined }),
    dependsOn: fc.option(fc.array(name, { maxLength: 3 }), { nil: undefined }),
  })
  .map(({ name: n, labels: l, ...spec }) => ({ apiVersion: 'hvs/v1', kind: 'VirtualMachine', metadata: { name: n, labels: l }, spec: JSON.parse(JSON.stringify(spec)) }));

describe('planObject properties', () => {
  it('an object planned against itself (or a copy) is always unchanged', () => {
    fc.assert(
      fc.property(vm, (x) => {
        expect(planObject(x, x)).toEqual({ kind: 'VirtualMachine', name: x.metadata.name, action: 'unchanged', changes: [] });
        expect(planObject(x, structuredClone(x)).action).toBe('unchanged');
      }),
      { numRuns: 300 },
    );
  });

  it('an update lists at least one change and every change has a path and a known effect; unchanged lists none', () => {
    fc.assert(
      fc.property(vm, vm, (a, b) => {
        const plan = planObject(a, { ...b, metadata: { ...b.metadata, name: a.metadata.name } });
        expect(plan.action === 'update').toBe(plan.changes.length > 0);
        for (const c of plan.changes) {
          expect(c.path.length).toBeGreaterThan(0);
          expect(['none', 'hotplug', 'migration', 'restart']).toContain(c.effect);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('planning is symmetric in what it finds: a->b changes iff b->a changes', () => {
    fc.assert(
      fc.property(vm, vm, (a, b) => {
        const b2 = { ...b, metadata: { ...b.metadata, name: a.metadata.name } };
        expect(planObject(a, b2).action).toBe(planObject(b2, a).action);
      }),
      { numRuns: 300 },
    );
  });
});
