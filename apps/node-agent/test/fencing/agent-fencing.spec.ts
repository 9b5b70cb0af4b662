/**
 * Self-fencing in the whole agent (fake hypervisor, FakeClock, a fake controller link and fake
 * peers behind our own interfaces; no sleeps): HA VMs are destroyed after fenceAfter when the
 * peers still reach the controller or none answers, nothing is stopped in a controller outage,
 * no VM starts while fenced (and across a restart), the fence lifts only with a newer fencing
 * token, and a VM the controller moved away is removed, not started again.
 */
import { status as grpcStatus } from '@grpc/grpc-js';
import { join } from 'node:path';
import { domainName, type VirtualMachine } from '@hvs/domain';
import type { v1 } from '@hvs/proto';
import { FakeClock } from '@hvs/reconcile';
import { createAgent, type Agent } from '../../src/agent/agent';
import { loadAgentConfig } from '../../src/config/config';
import type { Peer, PeerChecker, PeerStatus } from '../../src/fencing';
import { loadFenceState } from '../../src/fencing';
import type { NodeServiceCalls } from '../../src/heartbeat/controller-link';
import { FakeHypervisorDriver } from '../../src/hypervisor/fake-driver';
import { AgentIdentity } from '../../src/pki';
import { TestCa } from '../pki/fixtures';
import { assignInProcess, assignRequest, tempDir, testVm, until } from '../support/fixtures';

const uid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const dom = (n: number) => domainName(uid(n));

function haVm(name: string, u: string): VirtualMachine {
  const v = testVm(name, u);
  return { ...v, spec: { ...v.spec, ha: { restartPolicy: 'Always' } } };
}

/** The controller as the agent's link sees it: up or cut off. */
class FakeController implements NodeServiceCalls {
  up = true;
  private fail() {
    return Object.assign(new Error('14 UNAVAILABLE: connect failed'), { code: grpcStatus.UNAVAILABLE });
  }
  async registerNode(): Promise<v1.RegisterNodeResponse> {
    if (!this.up) throw this.fail();
    return { heartbeatIntervalMs: 2000, leaseTtlMs: 8000, fenceAfterMs: 15000 };
  }
  async heartbeat(): Promise<v1.NodeHeartbeatResponse> {
    if (!this.up) throw this.fail();
    return { leaseTtlMs: 8000, assignedGeneration: 0 } as unknown as v1.NodeHeartbeatResponse;
  }
  close(): void {}
}

/** Peers steered by knobs: 'up' (reaches the controller), 'lost' (lost it too), 'silent' (no answer). */
class FakePeers implements PeerChecker {
  answers = new Map<string, 'up' | 'lost' | 'silent'>();
  asked: string[] = [];
  async check(peer: Peer): Promise<PeerStatus> {
    this.asked.push(peer.node);
    const a = this.answers.get(peer.node) ?? 'silent';
    if (a === 'silent') throw new Error('DEADLINE_EXCEEDED');
    return { controllerReachable: a === 'up', lastContactMs: a === 'up' ? 500 : 20_000, node: peer.node };
  }
  close(): void {}
}

const PEERS = [{ node: 'b', address: '10.0.0.2:7450' }, { node: 'c', address: '10.0.0.3:7450' }];

describe('agent self-fencing (fake hypervisor, fake clock)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let clock: FakeClock;
  let driver: FakeHypervisorDriver;
  let controller: FakeController;
  let peers: FakePeers;
  let agent: Agent | undefined;

  /** A host that joined already: its node certificate from a test CA in the state dir. */
  async function joined(): Promise<void> {
    const id = await AgentIdentity.loadOrCreate(join(dir, 'state'), 'a');
    if (id.isJoined()) return;
    const ca = await TestCa.create();
    id.saveIssued(await ca.signCsr(await id.createCsr(), 'a'), ca.pem);
  }

  async function startAgent(): Promise<Agent> {
    await joined();
    const a = createAgent(loadAgentConfig({
      HVS_NODE_NAME: 'a', HVS_AGENT_STATE_DIR: join(dir, 'state'), HVS_AGENT_POOLS: `default=${join(dir, 'pool')}`, HVS_CONTROLLER: '127.0.0.1:1',
      HVS_AGENT_LISTEN: '127.0.0.1:0', HVS_AGENT_METRICS_LISTEN: 'off', HVS_LOG_LEVEL: 'silent', HVS_AGENT_HEARTBEAT_MS: '2000',
    }), { driver, clock, nodeService: controller, peerChecker: peers, choice: { uri: driver.uri, mode: 'test', domainType: 'qemu', reason: 'test' } });
    await a.start();
    agent = a;
    return a;
  }
  const running = async () => (await driver.list()).filter((d) => d.state === 'running').map((d) => d.name).sort();
  /**
   * Moves the fake clock in 1 s steps (the fencing loop and heartbeats run on it); after each
   * step the fencing check in flight (real file writes) is awaited.
   */
  const advance = async (ms: number) => {
    for (let t = 0; t < ms; t += 1000) {
      await clock.advance(1000);
      await agent?.fencing?.idle();
    }
  };
  const settle = async () => {
    for (let i = 0; i < 20; i++) await clock.flush();
  };
  /** Awaits (real time, with a deadline) the running domains to be exactly `names`: reconciles do real file I/O. */
  const runningBecomes = (names: string[]) => until(`running = ${names.join(',') || 'none'}`, async () => {
    await settle();
    return JSON.stringify(await running()) === JSON.stringify([...names].sort());
  }, 10_000);

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir('hvs-fence-'));
    clock = new FakeClock(Date.parse('2026-03-01T00:00:00Z'));
    driver = new FakeHypervisorDriver({ clock });
    controller = new FakeController();
    peers = new FakePeers();
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    await driver.close();
    await cleanup();
  });

  async function assignedAndRunning(a: Agent, token = 10): Promise<void> {
    await assignInProcess(a, { ...assignRequest([haVm('web', uid(1)), testVm('plain', uid(2))], 1, token, 'a'), peers: PEERS, fenceAfterMs: 15_000 });
    await runningBecomes([dom(1), dom(2)]);
  }

  it('keeps everything while the controller answers; fences HA VMs only after fenceAfter when the peers still reach the controller', async () => {
    const a = await startAgent();
    await assignedAndRunning(a);
    peers.answers.set('b', 'up').set('c', 'up');
    await advance(30_000);
    expect(a.fencing?.fenced).toBe(false);
    expect(peers.asked).toEqual([]); // contact is fresh: peers are not even asked

    controller.up = false;
    await advance(12_000);
    expect(a.fencing?.fenced).toBe(false);
    expect(await running()).toEqual([dom(1), dom(2)].sort());
    await advance(6_000);
    expect(a.fencing?.fenced).toBe(true);
    expect(peers.asked).toEqual(expect.arrayContaining(['b', 'c']));
    await runningBecomes([dom(2)]); // the HA VM is destroyed, the plain one keeps running
    expect(a.heartbeat().fenced).toBe(true);
    // The destroy's event re-queues the VM; its start is refused, so it shows Failed with the fencing reason.
    await until('web Failed/HVS-AGENT-FENCED', async () => {
      await settle();
      return a.observed.get(uid(1))?.error?.code === 'HVS-AGENT-FENCED';
    }, 5_000);
    expect(a.observed.get(uid(1))).toMatchObject({ phase: 'Failed', message: expect.stringMatching(/node a is fenced/) });
    const state = await loadFenceState(join(dir, 'state'));
    expect(state).toMatchObject({ fenced: true, fencedAtToken: 10 });
    expect(state.reason).toMatch(/no contact with the controller for 1\d\.\d s .*b: reaches the controller; c: reaches the controller/);
  });

  it('an isolated agent (no peer answers) fences too', async () => {
    const a = await startAgent();
    await assignedAndRunning(a);
    controller.up = false;
    await advance(20_000);
    expect(a.fencing?.fenced).toBe(true);
    await runningBecomes([dom(2)]);
  });

  it('controller outage (the peers lost it too): nothing is fenced, VMs keep running', async () => {
    const a = await startAgent();
    await assignedAndRunning(a);
    peers.answers.set('b', 'lost').set('c', 'lost');
    controller.up = false;
    await advance(60_000);
    expect(a.fencing?.fenced).toBe(false);
    expect(a.fencing?.lastDecision).toBe('controller-outage');
    expect(await running()).toEqual([dom(1), dom(2)].sort());
  });

  it('while fenced nothing starts, not even after contact returns; an Assign with the same token does not lift it; a newer one that no longer holds the HA VM removes it', async () => {
    const a = await startAgent();
    await assignedAndRunning(a);
    controller.up = false;
    await advance(20_000);
    expect(a.fencing?.fenced).toBe(true);
    await driver.destroy(dom(2)); // the plain VM stops too (e.g. crashed): it must not be restarted while fenced
    controller.up = true;
    await advance(40_000);
    // The plain VM's restart was attempted and refused (not merely not tried yet).
    await until('plain refused with HVS-AGENT-FENCED', async () => {
      await settle();
      return a.observed.get(uid(2))?.error?.code === 'HVS-AGENT-FENCED';
    }, 5_000);
    expect(await running()).toEqual([]);

    // A re-send of the old assignment (same token) keeps the fence.
    await assignInProcess(a, { ...assignRequest([haVm('web', uid(1)), testVm('plain', uid(2))], 1, 10, 'a'), peers: PEERS, fenceAfterMs: 15_000 });
    await settle();
    expect(a.fencing?.fenced).toBe(true);
    expect(await running()).toEqual([]);

    // The controller moved the HA VM elsewhere: the newer assignment holds only the plain VM.
    await assignInProcess(a, { ...assignRequest([testVm('plain', uid(2))], 2, 25, 'a'), peers: PEERS, fenceAfterMs: 15_000 });
    expect(a.fencing?.fenced).toBe(false);
    await runningBecomes([dom(2)]);
    await until('the moved HA VM removed from this host', async () => {
      await settle();
      return (await driver.get(dom(1))) === undefined;
    }, 10_000);
    expect(await running()).toEqual([dom(2)]); // never started again on the way out
  });

  it('a fenced agent that restarts stays fenced; after a restart HA VMs wait for the controller\'s assignment', async () => {
    let a = await startAgent();
    await assignedAndRunning(a);
    controller.up = false;
    await advance(20_000);
    expect(a.fencing?.fenced).toBe(true);
    await a.stop();
    agent = undefined;
    await driver.destroy(dom(2)); // host reboot: nothing runs

    a = await startAgent();
    await settle();
    await advance(5_000);
    expect(a.fencing?.fenced).toBe(true);
    await until('both refused after the restart', async () => {
      await settle();
      return a.observed.get(uid(1))?.error?.code === 'HVS-AGENT-FENCED' && a.observed.get(uid(2))?.error?.code === 'HVS-AGENT-FENCED';
    }, 5_000);
    expect(await running()).toEqual([]);

    // Fence lifted by a newer token that still assigns both VMs here (the controller never moved them).
    controller.up = true;
    await assignInProcess(a, { ...assignRequest([haVm('web', uid(1)), testVm('plain', uid(2))], 2, 30, 'a'), peers: PEERS, fenceAfterMs: 15_000 });
    await runningBecomes([dom(1), dom(2)]);

    // A clean restart (not fenced): the plain VM starts from the saved assignment, the HA VM waits for an Assign.
    await a.stop();
    agent = undefined;
    await driver.destroy(dom(1));
    await driver.destroy(dom(2));
    a = await startAgent();
    await runningBecomes([dom(2)]);
    await until('web waits for an Assign', async () => {
      await settle();
      return a.observed.get(uid(1))?.error?.code === 'HVS-AGENT-AWAITING-ASSIGNMENT';
    }, 5_000);
    await assignInProcess(a, { ...assignRequest([haVm('web', uid(1)), testVm('plain', uid(2))], 2, 30, 'a'), peers: PEERS, fenceAfterMs: 15_000 });
    await runningBecomes([dom(1), dom(2)]);
  });
});
