import {
  ClusterSnapshot,
  formatUnschedulable,
  placementOf,
  schedule,
  unschedulableError,
  vmResources,
  type Placement,
  type Unschedulable,
} from '../../src/scheduler';
import { GiB, node, vm } from './fixtures';

function p(vmName: string, nodeName: string, o: Partial<Placement> = {}): Placement {
  return { vm: vmName, node: nodeName, cpus: 2, memoryBytes: 4 * GiB, labels: {}, ...o };
}

describe('scoring', () => {
  const nodes = [node('a', { cpus: 8, memoryGiB: 32 }), node('b', { cpus: 8, memoryGiB: 32 }), node('c', { cpus: 8, memoryGiB: 32 })];
  const placed = [p('x1', 'a', { cpus: 8, memoryBytes: 16 * GiB }), p('x2', 'b', { cpus: 2, memoryBytes: 4 * GiB })];

  it('spread (default) picks the node with the most room left; score is the mean free share after placing', () => {
    const r = schedule(vm('v', { cores: 2, memory: '4GiB' }), nodes, placed);
    // c: cpu (32-2)/32, mem (32-4)/32 -> 100 * (0.9375 + 0.875) / 2
    expect(r).toEqual({ ok: true, node: 'c', score: 90.625, hostdevs: [] });
  });

  it('binpack picks the fullest node that still fits', () => {
    const r = schedule(vm('v', { cores: 2, memory: '4GiB', placement: { strategy: 'binpack' } }), nodes, placed);
    expect(r).toMatchObject({ ok: true, node: 'a' });
  });

  it('ties go to the smallest node name, whatever the input order', () => {
    const empty = [node('n-2'), node('n-10'), node('n-1')];
    expect(schedule(vm('v'), empty, [])).toMatchObject({ node: 'n-1' });
    expect(schedule(vm('v'), [...empty].reverse(), [])).toMatchObject({ node: 'n-1' });
  });

  it('preferred affinity outweighs a little more free room; weights set the share', () => {
    const v = vm('web', { placement: { affinity: [{ labelSelector: { app: 'cache' }, weight: 80 }, { labelSelector: { app: 'db' }, weight: 20 }] } });
    const withCache = [p('cache-1', 'a', { labels: { app: 'cache' } }), p('db-1', 'b', { labels: { app: 'db' } })];
    expect(schedule(v, nodes, withCache)).toMatchObject({ ok: true, node: 'a' });
    expect(schedule(v, nodes, [p('db-1', 'b', { labels: { app: 'db' } })])).toMatchObject({ ok: true, node: 'b' });
  });

  it('preferred anti-affinity steers away but still places when nothing else fits', () => {
    const v = vm('db-2', { labels: { app: 'db' }, placement: { antiAffinity: [{ labelSelector: { app: 'db' }, required: false }] } });
    const dbOnA = [p('db-1', 'a', { labels: { app: 'db' } })];
    expect(schedule(v, nodes.slice(0, 2), dbOnA)).toMatchObject({ ok: true, node: 'b' });
    expect(schedule(v, nodes.slice(0, 1), dbOnA)).toMatchObject({ ok: true, node: 'a' });
  });
});

describe('results and errors', () => {
  it('reasons are one per node, sorted by name, and format into one line', () => {
    const r = schedule(vm('v', { memory: '4GiB' }), [node('host-c', { cordoned: true }), node('host-b', { memoryGiB: 8 }), node('host-d', { ready: 'Unknown' })], [p('x', 'host-b', { memoryBytes: 4.5 * GiB })]);
    expect(r).toEqual({
      ok: false,
      code: 'HVS-SCHED-UNSCHEDULABLE',
      reasons: [
        { node: 'host-b', reason: '3.5 GiB free < 4 GiB requested' },
        { node: 'host-c', reason: 'cordoned' },
        { node: 'host-d', reason: 'not Ready (Unknown)' },
      ],
    });
    expect(formatUnschedulable(r as Unschedulable)).toBe('0/3 nodes can run the VM: host-b: 3.5 GiB free < 4 GiB requested; host-c: cordoned; host-d: not Ready (Unknown)');
  });

  it('no nodes at all: unschedulable with no reasons and a fix that says to join one', () => {
    const r = schedule(vm('v'), [], []) as Unschedulable;
    expect(r).toEqual({ ok: false, code: 'HVS-SCHED-UNSCHEDULABLE', reasons: [] });
    expect(formatUnschedulable(r)).toBe('no nodes are registered');
    expect(unschedulableError('v', r).fix).toMatch(/join/);
  });

  it('unschedulableError carries code, what, why, fix and a problem per node', () => {
    const r = schedule(vm('web-1'), [node('a', { cordoned: true }), node('b', { ready: 'Unknown' })], []) as Unschedulable;
    const e = unschedulableError('web-1', r);
    expect(e.code).toBe('HVS-SCHED-UNSCHEDULABLE');
    expect(e.category).toBe('FailedPrecondition');
    expect(e.message).toBe('VM web-1 fits on no node');
    expect(e.why).toBe('0/2 nodes can run the VM: a: cordoned; b: not Ready (Unknown)');
    expect(e.fix).toMatch(/uncordon/);
    expect(e.problems.map((x) => `${x.path} ${x.message}`)).toEqual(['node/a cordoned', 'node/b not Ready (Unknown)']);
  });
});

describe('vmResources and placementOf', () => {
  it('vCPUs = sockets*cores*threads, memory = parseSize', () => {
    const v = vm('v', { memory: '1.5GiB' });
    v.spec.cpu = { sockets: 2, cores: 3, threads: 2 };
    expect(vmResources(v)).toEqual({ cpus: 12, memoryBytes: 1.5 * GiB });
  });

  it('placementOf records labels, devices and only the required anti-affinity terms', () => {
    const v = vm('db-1', {
      labels: { app: 'db' },
      placement: { antiAffinity: [{ labelSelector: { app: 'db' } }, { labelSelector: { tier: 'x' }, required: false }] },
    });
    expect(placementOf(v, 'a', ['0000:01:00.0'])).toEqual({
      vm: 'db-1', node: 'a', cpus: 2, memoryBytes: 4 * GiB, labels: { app: 'db' }, hostdevs: ['0000:01:00.0'], antiAffinity: [{ app: 'db' }],
    });
    expect(placementOf(vm('w'), 'b')).toEqual({ vm: 'w', node: 'b', cpus: 2, memoryBytes: 4 * GiB, labels: {} });
  });
});

describe('ClusterSnapshot', () => {
  it('add/remove keep usage in step, and a re-add of the same VM replaces it', () => {
    const s = new ClusterSnapshot([node('a'), node('b')], [p('x', 'a', { hostdevs: ['0000:01:00.0'] })]);
    expect(s.usage('a')).toMatchObject({ cpus: 2, memoryBytes: 4 * GiB });
    s.add(p('x', 'b', { cpus: 4 }));
    expect(s.usage('a')).toMatchObject({ cpus: 0, memoryBytes: 0 });
    expect(s.usage('a')?.hostdevs.size).toBe(0);
    expect(s.usage('b')).toMatchObject({ cpus: 4 });
    expect(s.remove('x')).toBe(true);
    expect(s.remove('x')).toBe(false);
    expect(s.usage('b')).toMatchObject({ cpus: 0, memoryBytes: 0 });
  });

  it('a batch sees its own decisions: three 12 GiB VMs onto two 16 GiB nodes place two, then explain', () => {
    const s = new ClusterSnapshot([node('a', { memoryGiB: 16 }), node('b', { memoryGiB: 16 })]);
    const out: string[] = [];
    for (const name of ['v1', 'v2', 'v3']) {
      const v = vm(name, { memory: '12GiB' });
      const r = s.schedule(v);
      if (r.ok) s.add(placementOf(v, r.node, r.hostdevs));
      out.push(r.ok ? `${name}->${r.node}` : `${name}: ${formatUnschedulable(r)}`);
    }
    expect(out).toEqual(['v1->a', 'v2->b', 'v3: 0/2 nodes can run the VM: a: 4 GiB free < 12 GiB requested; b: 4 GiB free < 12 GiB requested']);
  });

  it('placements on unknown nodes are kept but never make a node appear', () => {
    const s = new ClusterSnapshot([node('a')], [p('x', 'gone')]);
    expect(s.usage('gone')).toMatchObject({ cpus: 2 });
    expect(s.schedule(vm('v'))).toMatchObject({ ok: true, node: 'a' });
  });
});
