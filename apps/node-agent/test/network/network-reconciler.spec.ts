/**
 * The network reconciler against the simulated driver (our own interface; the host driver is
 * proven in network-host.medium.spec.ts): what it reports, what it removes, when VMs may start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostCommandFailed, nameClash } from '../../src/network/errors';
import { bridgeName } from '../../src/network/naming';
import { NetworkReconciler } from '../../src/network/network-reconciler';
import { networkPrerequisite } from '../../src/network/network-prerequisite';
import { SIMULATED_MESSAGE, SimulatedNetworkDriver } from '../../src/network/simulated-driver';
import { ObservedState } from '../../src/observed/observed-state';
import { AssignmentStore, type NetworkBinding } from '../../src/state/assignment-store';
import { testVm } from '../support/fixtures';
import { binding, network, reservation } from './fixtures';

const UID = 'aaaaaaaa-0000-4000-8000-000000000001';
const quiet = { info: () => undefined, warn: () => undefined };

describe('NetworkReconciler (simulated driver)', () => {
  let dir: string;
  let store: AssignmentStore;
  let observed: ObservedState;
  let driver: SimulatedNetworkDriver;
  let readyCalls: number;
  let rec: NetworkReconciler;
  let generation = 0;

  async function assign(bindings: Record<string, NetworkBinding>): Promise<void> {
    generation++;
    const networks = Object.fromEntries(Object.keys(bindings).map((n) => [n, { bridge: bridgeName(n) }]));
    await store.replace({ generation, fencingToken: 1, vms: [], networks, networkBindings: bindings });
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hvs-netrec-'));
    store = new AssignmentStore(dir, 'node-1');
    await store.load();
    observed = new ObservedState();
    driver = new SimulatedNetworkDriver();
    readyCalls = 0;
    rec = new NetworkReconciler({ driver, store, observed, stateDir: dir, log: quiet, onReady: () => readyCalls++ });
  });

  afterEach(() => {
    observed.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports each assigned Network Simulated and ready, and keeps the nft ruleset it would apply', async () => {
    await assign({ lab: binding(network('lab', { mode: 'nat', subnet: '10.77.0.0/24' }), [reservation('web-1', '10.77.0.10', '52:54:00:00:00:0a')]) });
    await rec.reconcile();
    expect(observed.network('lab')).toEqual({ network: 'lab', bridge: bridgeName('lab'), ready: true, reason: 'Simulated', message: SIMULATED_MESSAGE });
    expect(SIMULATED_MESSAGE).toContain('test driver');
    expect(driver.ruleset).toContain('masquerade');
    expect(readyCalls).toBe(1);
    await rec.reconcile();
    expect(readyCalls).toBe(1);
  });

  it('removes a Network that left the assignment and reports it removed once', async () => {
    await assign({ lab: binding(network('lab', { mode: 'isolated', subnet: '10.77.0.0/24' })) });
    await rec.reconcile();
    const seen: string[] = [];
    const watch = observed.watch(() => ({ host: undefined, observedGeneration: 0, fencingToken: 0 }));
    const it = watch[Symbol.asyncIterator]();
    await it.next(); // snapshot
    await assign({});
    await rec.reconcile();
    const next = (await it.next()).value as { change: { type: string; network?: { reason: string; removed?: boolean } } };
    seen.push(`${next.change.network?.reason}:${String(next.change.network?.removed)}`);
    await watch.close();
    expect(seen).toEqual(['Removed:true']);
    expect(await driver.present()).toEqual([]);
    expect(driver.ruleset).toBeUndefined();
  });

  it('a failing realisation is reported with its reason and error, and the VM waits NetworkNotReady with it', async () => {
    driver.failNext(nameClash(bridgeName('lab'), 'lab', 'something else'));
    await assign({ lab: binding(network('lab', { mode: 'nat', subnet: '10.77.0.0/24' })) });
    await rec.reconcile();
    expect(observed.network('lab')).toMatchObject({ ready: false, reason: 'NameClash', error: { code: 'HVS-NET-NAME-CLASH' } });
    // No rules for a refused Network: its bridge name belongs to someone else's device.
    expect(driver.ruleset).toBeUndefined();
    const vm = { ...testVm('web-1', UID), spec: { ...testVm('web-1', UID).spec, networks: [{ name: 'eth0', network: 'lab' }] } };
    const wait = await networkPrerequisite(observed)(UID, vm);
    expect(wait).toMatchObject({ reason: 'NetworkNotReady', problem: { code: 'HVS-NET-NAME-CLASH' } });
    expect(wait?.message).toContain('lab');
    expect(readyCalls).toBe(0);
    await rec.reconcile();
    expect(readyCalls).toBe(1);
    expect(driver.ruleset).toContain('masquerade');
    expect(await networkPrerequisite(observed)(UID, vm)).toBeUndefined();
  });

  it('a VM without NICs never waits; one on an unknown Network waits without a problem', async () => {
    expect(await networkPrerequisite(observed)(UID, testVm('web-1', UID))).toBeUndefined();
    const vm = { ...testVm('web-1', UID), spec: { ...testVm('web-1', UID).spec, networks: [{ name: 'eth0', network: 'nowhere' }] } };
    expect(await networkPrerequisite(observed)(UID, vm)).toEqual({ reason: 'NetworkNotReady', message: 'waiting for network nowhere on this node (nowhere: not realised yet)' });
  });

  it('passes never overlap: calls during a pass are covered by exactly one more pass', async () => {
    await assign({ lab: binding(network('lab', { mode: 'isolated' })) });
    let passes = 0;
    const realise = driver.realise.bind(driver);
    driver.realise = async (p) => {
      passes++;
      return realise(p);
    };
    await Promise.all([rec.reconcile(), rec.reconcile(), rec.reconcile()]);
    expect(passes).toBe(2);
    await rec.settled();
  });

  it('a nat Network whose nft table cannot be applied is not ready (FirewallFailed); an isolated one stays ready', async () => {
    driver.failNext(hostCommandFailed(['nft', '-f', 'x'], 'Error: syntax error'), 'applyRuleset');
    await assign({ lab: binding(network('lab', { mode: 'nat', subnet: '10.77.0.0/24' })), iso: binding(network('iso', { mode: 'isolated' })) });
    await rec.reconcile();
    expect(observed.network('lab')).toMatchObject({ ready: false, reason: 'FirewallFailed', message: expect.stringContaining('syntax error'), bridge: bridgeName('lab') });
    expect(observed.network('iso')).toMatchObject({ ready: true });
  });

  it('wraps an unexpected error as reason Failed', async () => {
    driver.failNext(new Error('boom'));
    await assign({ lab: binding(network('lab', { mode: 'isolated' })) });
    await rec.reconcile();
    expect(observed.network('lab')).toMatchObject({ ready: false, reason: 'Failed', message: 'boom' });
  });
});
