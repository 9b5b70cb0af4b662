import { status } from '@grpc/grpc-js';
import { domainName, volumeName } from '@hvs/domain';
import { hvsErrorFromServiceError } from '@hvs/proto';
import type { Agent } from '../../src/agent/agent';
import { agentClient, WatchView } from '../support/agent-client';
import { assignRequest, testVm, until } from '../support/fixtures';
import { startTestDriverAgent } from '../support/test-driver-agent';

const uid = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

/**
 * The agent in-process, over real gRPC, on libvirt's test driver (a generated node.xml), with
 * real qemu-img volumes in a temp pool.
 */
describe('node agent over gRPC on the libvirt test driver', () => {
  let stop: () => Promise<void>;
  let agent: Agent;
  let client: ReturnType<typeof agentClient>;
  let watch: WatchView;

  beforeAll(async () => {
    ({ agent, client, stop } = await startTestDriverAgent('hvs-agent-it-'));
    watch = new WatchView(client.raw);
  });
  afterAll(async () => {
    watch?.cancel();
    await stop?.();
  });

  it('sends a snapshot first, with host facts in test mode', async () => {
    const snap = await until('the snapshot', () => watch.snapshot);
    expect(snap.host).toMatchObject({ hypervisorMode: 'test', cpus: 4, libvirtUri: expect.stringMatching(/^test:\/\//) });
    expect(snap.host?.pools[0]).toMatchObject({ name: 'default', active: true });
  });

  it('Assign of 3 VMs: Watch reports each Running, with increasing sequence numbers', async () => {
    const vms = [testVm('web-1', uid(1)), testVm('web-2', uid(2)), testVm('db-1', uid(3), { disks: [{ name: 'root', size: '64MiB' }] })];
    await expect(client.assign(assignRequest(vms, 1, 10, 'node-1'))).resolves.toEqual({ accepted: true, observedGeneration: 1, problems: [], removingUids: [] });
    await until('3 VMs Running', () => Object.values(watch.phases()).filter((p) => p === 'Running').length === 3);
    expect(watch.phases()).toEqual({ 'web-1': 'Running', 'web-2': 'Running', 'db-1': 'Running' });
    const seqs = watch.events.map((e) => e.sequence);
    expect(seqs.slice(1)).toEqual([...seqs.slice(1)].sort((a, b) => a - b));
    expect(new Set(seqs.slice(1)).size).toBe(seqs.length - 1);
    expect(watch.events.some((e) => e.event?.$case === 'vmEvent' && e.event.value.type === 1 /* STARTED */)).toBe(true);
    expect((await agent.driver.list()).map((d) => d.name).sort()).toEqual([uid(1), uid(2), uid(3)].map(domainName).sort());
  });

  it('refuses an Assign with invalid VMs whole: INVALID_ARGUMENT with every problem in the trailer, nothing applied', async () => {
    const bad = { ...testVm('bad-cpu', uid(5)), spec: { ...testVm('bad-cpu', uid(5)).spec, cpu: { cores: 0 } } };
    const noUid = { ...testVm('no-uid', uid(6)), metadata: { name: 'no-uid', generation: 1 } };
    const req = assignRequest([testVm('web-1', uid(1)), testVm('new-1', uid(4)), bad, noUid], 2, 11);
    const err = await client.assign(req).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.INVALID_ARGUMENT });
    const problems = hvsErrorFromServiceError(err).problems;
    expect(problems.map((p) => p.path?.split(' ')[0])).toEqual(expect.arrayContaining(['vms[2]', 'vms[3]']));
    expect(problems.map((p) => p.code)).toEqual(expect.arrayContaining(['HVS-AGENT-VM-UID-INVALID']));
    expect(agent.store.generation).toBe(1);
    expect(agent.store.desired(uid(4))).toBeUndefined();
    expect(await agent.driver.get(domainName(uid(4)))).toBeUndefined();
  });

  it('refuses a stale fencing token and an older generation', async () => {
    const e1 = await client.assign(assignRequest([], 5, 9)).catch((e: unknown) => e);
    expect(hvsErrorFromServiceError(e1)).toMatchObject({ code: 'HVS-AGENT-STALE-FENCING-TOKEN' });
    expect(e1).toMatchObject({ code: status.FAILED_PRECONDITION });
    const e2 = await client.assign(assignRequest([], 0, 10)).catch((e: unknown) => e);
    expect(hvsErrorFromServiceError(e2)).toMatchObject({ code: 'HVS-AGENT-STALE-GENERATION' });
    expect(agent.store.desiredVms()).toHaveLength(3);
  });

  it('reports domains it did not create as unmanaged and never touches them', async () => {
    await agent.driver.define('legacy-db', "<domain type='qemu'><name>legacy-db</name><memory unit='MiB'>32</memory><os><type>hvm</type></os></domain>");
    await agent.resync();
    const w2 = new WatchView(client.raw);
    try {
      const snap = await until('a second snapshot', () => w2.snapshot);
      expect(snap.unmanagedDomains).toEqual(['legacy-db']);
      expect(snap.vms.map((v) => v.name).sort()).toEqual(['db-1', 'web-1', 'web-2']);
    } finally {
      w2.cancel();
    }
    expect(await agent.driver.get('legacy-db')).toMatchObject({ state: 'shutoff' });
  });

  it('removes a VM dropped from the assignment: the answer lists it as removing, then VmRemoved cleaned_up once domain and volume are gone', async () => {
    const res = await client.assign(assignRequest([testVm('web-1', uid(1)), testVm('web-2', uid(2))], 3, 12));
    expect(res.removingUids).toEqual([uid(3)]);
    const removed = await until('db-1 cleaned up', () => watch.events.find((e) => e.event?.$case === 'vmRemoved' && e.event.value.uid === uid(3)));
    expect(removed.event).toEqual({ $case: 'vmRemoved', value: { uid: uid(3), name: 'db-1', cleanedUp: true, volumesKept: false } });
    expect(watch.vms.has(uid(3))).toBe(false);
    expect(await agent.driver.get(domainName(uid(3)))).toBeUndefined();
    expect(await agent.volumes.deleteOwned(uid(3))).toEqual([]);
    // The same assignment again: nothing left to clean up.
    expect((await client.assign(assignRequest([testVm('web-1', uid(1)), testVm('web-2', uid(2))], 3, 12))).removingUids).toEqual([]);
  });

  it('serves Heartbeat, PeerCheck (standalone: controller not reachable), Diagnose with fixes, and UNIMPLEMENTED for Snapshot', async () => {
    await expect(client.heartbeat()).resolves.toMatchObject({ node: 'node-1', observedGeneration: 3, fencingToken: 12, lastContactMs: -1, vmsRunning: 2 });
    await expect(client.peerCheck()).resolves.toEqual({ controllerReachable: false, lastContactMs: -1, node: 'node-1' });
    // A disk of no VM assigned here (a cancelled copy-storage migration leaves such copies behind).
    const orphan = volumeName(uid(9), 'root');
    await agent.volumes.ensure(uid(9), testVm('gone', uid(9), { disks: [{ name: 'root', size: '16MiB' }] }), {});
    // ...and one of a VM that is assigned here (web-1), which is not reported.
    await agent.volumes.ensure(uid(1), testVm('web-1', uid(1), { disks: [{ name: 'data', size: '16MiB' }] }), {});
    const d = await client.diagnose();
    const byName = Object.fromEntries(d.checks.map((c) => [c.name, c]));
    expect(byName['volumes']).toMatchObject({ ok: false, warning: true, message: expect.stringContaining(`1 volume(s)`), fix: expect.stringMatching(/delete the files/) });
    expect(byName['volumes']!.message).toContain(`default/${orphan}`);
    expect(byName['volumes']!.message).not.toContain(uid(1));
    await agent.volumes.deleteOwned(uid(9));
    await agent.volumes.deleteOwned(uid(1));
    expect(Object.fromEntries((await client.diagnose()).checks.map((c) => [c.name, c]))['volumes']).toMatchObject({ ok: true });
    expect(byName['libvirt']).toMatchObject({ ok: true });
    expect(byName['mode']).toMatchObject({ ok: false, warning: true, message: expect.stringContaining('test') });
    expect(byName['state-dir']).toMatchObject({ ok: true });
    expect(byName['pool:default']).toMatchObject({ ok: true });
    const err = await client.snapshot({ vmUid: uid(1), vmName: 'web-1', snapshot: 's', description: '', memory: false, fencingToken: 12, operation: 'create' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: status.UNIMPLEMENTED });
    expect(hvsErrorFromServiceError(err)).toMatchObject({ code: 'HVS-AGENT-NOT-IMPLEMENTED' });
  });

  it('exposes /metrics with reconcile counts, domains by phase, the mode label and per-VM usage', async () => {
    const text = await (await fetch(`http://${agent.metricsAddress}/metrics`)).text();
    expect(text).toMatch(/hvs_agent_reconcile_total\{result="done"\} [1-9]/);
    expect(text).toContain('hvs_agent_domains{phase="Running"} 2');
    expect(text).toMatch(/hvs_agent_info\{node="node-1",mode="test",uri="test:\/\/[^"]+",version="[^"]+"\} 1/);
    expect(text).toMatch(new RegExp(`hvs_vm_memory_bytes\\{vm="web-1",uid="${uid(1)}"\\} 67108864`));
    expect(text).toMatch(/hvs_vm_cpu_seconds_total\{vm="web-1"/);
    expect(text).toMatch(/hvs_libvirt_call_duration_seconds_count\{op="define",ok="true"\} [1-9]/);
  });
});
