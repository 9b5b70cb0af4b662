import { Registry } from 'prom-client';
import type { Migration, Node, VirtualMachine } from '@hvs/domain';
import { capacityReport, registerCapacityGauge } from '../../src/ha';
import { nodeDoc, vmDoc } from '../runtime/fixtures';

describe('hvs_ha_capacity_n1_ok', () => {
  const ha = (name: string, node: string, memory: string): VirtualMachine => {
    const v = vmDoc(name, { node, memory });
    return { ...v, spec: { ...v.spec, ha: { restartPolicy: 'Always' } } };
  };

  it('1 when every HA VM fits elsewhere, 0 when not, no sample when not leading', async () => {
    const registry = new Registry();
    let state: { nodes: Node[]; vms: VirtualMachine[] } | undefined = { nodes: [nodeDoc('a', { memoryBytes: 4 * 1024 ** 3 }), nodeDoc('b', { memoryBytes: 4 * 1024 ** 3 })], vms: [ha('web', 'a', '2GiB')] };
    registerCapacityGauge(registry, { report: () => (state ? capacityReport(state.nodes, state.vms) : undefined) });
    expect(await registry.metrics()).toMatch(/^hvs_ha_capacity_n1_ok\{scope="cluster"\} 1$/m);
    state = { ...state, vms: [ha('web', 'a', '2GiB'), ha('big', 'b', '3GiB')] };
    expect(await registry.metrics()).toMatch(/^hvs_ha_capacity_n1_ok\{scope="cluster"\} 0$/m);
    state = undefined;
    expect(await registry.metrics()).not.toMatch(/^hvs_ha_capacity_n1_ok\{/m);
  });

  it('counts the target capacity a migration in flight holds: N+1 fails while it runs, holds once it ended', () => {
    const GiB = 1024 ** 3;
    const nodes = ['a', 'b', 'c'].map((n) => nodeDoc(n, { memoryBytes: 4 * GiB }));
    const vms = [ha('web', 'a', '2GiB'), vmDoc('big', { node: 'c', memory: '3GiB' })];
    const moving = (phase: 'Running' | 'Succeeded' | 'Failed'): Migration => ({
      apiVersion: 'hvs/v1', kind: 'Migration', metadata: { name: 'big-1' },
      spec: { vm: 'big', targetNode: 'b', mode: 'live' }, status: { phase, targetNode: 'b' },
    });
    expect(capacityReport(nodes, vms).ok).toBe(true);
    expect(capacityReport(nodes, vms, [moving('Running')]).ok).toBe(false); // b holds 3 GiB for big: web (2 GiB) fits nowhere if a dies
    expect(capacityReport(nodes, vms, [moving('Failed')]).ok).toBe(true);
  });
});
