import { Registry } from 'prom-client';
import type { Node, VirtualMachine } from '@hvs/domain';
import { capacityReport, haTimingFromEnv, registerCapacityGauge } from '../../src/ha';
import { nodeDoc, vmDoc } from '../reconcilers/fixtures';

describe('haTimingFromEnv', () => {
  it('defaults to 15 s + 5 s; reads durations; refuses a margin below the fencing budget with a fix', () => {
    expect(haTimingFromEnv({})).toEqual({ fenceAfterMs: 15_000, marginMs: 5_000 });
    expect(haTimingFromEnv({ HVS_HA_FENCE_AFTER: '30s', HVS_HA_RESCHEDULE_MARGIN: '10s' })).toEqual({ fenceAfterMs: 30_000, marginMs: 10_000 });
    expect(() => haTimingFromEnv({ HVS_HA_RESCHEDULE_MARGIN: '1s' })).toThrow(expect.objectContaining({ code: 'HVS-CONFIG-HA-TIMING-INVALID', fix: expect.stringContaining('docs/ha.md') }));
    expect(() => haTimingFromEnv({ HVS_HA_FENCE_AFTER: 'soon' })).toThrow(expect.objectContaining({ code: 'HVS-CONFIG-HA-TIMING-INVALID' }));
  });
});

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
});
