// Images through the real dispatcher (real etcd, grpc-js fake agent): the Assign carries the
// Images the node's VMs use with each VM's expected digests, the agent's ImageObserved reports
// become Image status (through onImageObserved, as the control loops wire it), and the digest
// pinned on first download is sent to the node in a new Assign.
import type { Image } from '@hvs/domain';
import { fromProtoObject } from '@hvs/proto';
import { SystemClock } from '@hvs/reconcile';
import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { Dispatcher } from '../../src/dispatch';
import { ImageStatusWriter } from '../../src/dispatch/image-status';
import { EtcdStore } from '../../src/store';
import { awaitObject, nodeDoc, startDispatcherInformers, vmDoc } from '../runtime/fixtures';
import { FakeAgent } from './fake-agent';

jest.setTimeout(30_000);

const HEX = 'ab'.repeat(32);
let etcd: EtcdInstance;
let store: EtcdStore;
let agent: FakeAgent;
let stops: (() => Promise<void> | void)[] = [];

const image = (name: string, spec: Partial<Image['spec']>): Image =>
  ({ apiVersion: 'hvs/v1', kind: 'Image', metadata: { name }, spec: { source: { url: `https://images.example/${name}.qcow2` }, format: 'qcow2', ...spec } });

beforeEach(async () => {
  etcd = await startEtcd();
  store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000 });
  agent = new FakeAgent();
  await agent.listen();
  await store.create(nodeDoc('node-a', { address: agent.address }));
  await store.create(image('deb', { sha256: HEX }));
  await store.create(image('tofu', { allowUnverified: true }));
  await store.create(image('unused', { sha256: HEX }));
  const vm = vmDoc('web', { node: 'node-a' });
  await store.create({ ...vm, spec: { ...vm.spec, disks: [{ name: 'os', size: '1GiB', image: 'deb' }, { name: 'data', size: '1GiB', image: 'tofu' }] } });
  const started = await startDispatcherInformers(store);
  stops.push(started.stop);
  const writer = new ImageStatusWriter({ store, images: started.informers.images, clock: new SystemClock(), minIntervalMs: 50 });
  stops.push(() => writer.stop());
  const dispatcher = new Dispatcher({ store, informers: started.informers, controllerId: 'ctl-test', reconnectBaseMs: 50, reconnectMaxMs: 200, onImageObserved: (n, o) => writer.observe(n, o) });
  dispatcher.start();
  stops.push(() => dispatcher.stop());
});
afterEach(async () => {
  for (const s of stops.reverse()) await s();
  stops = [];
  await agent?.stop();
  await store?.close();
  await etcd?.stop();
});

describe('Dispatcher and Images', () => {
  it('sends the used Images and per-VM digests; reports become status; the pinned digest reaches the node', async () => {
    await waitFor(() => agent.assigns.length >= 1 && agent.openStreams === 1, { what: 'first Assign' });
    const first = agent.assigns[0]!;
    expect(first.images.map((o) => (fromProtoObject(o) as Image).metadata.name)).toEqual(['deb', 'tofu']);
    expect(first.vms[0]!.imageDigests).toEqual({ deb: `sha256:${HEX}` });

    agent.image({ image: 'deb', phase: 'Downloading', bytes: 100, totalBytes: 400, bytesPerSecond: 50, etaSeconds: 6 });
    const deb = await awaitObject<Image, Image>(store, 'Image', 'deb', 'progress', (i) => i.status?.nodes?.[0]?.bytes === 100 && i);
    expect(deb.status).toMatchObject({ phase: 'Downloading', digest: `sha256:${HEX}`, nodes: [{ node: 'node-a', phase: 'Downloading', totalBytes: 400, etaSeconds: 6 }] });
    const sent = agent.assigns.length;

    agent.image({ image: 'tofu', phase: 'Ready', verified: true, bytes: 10, totalBytes: 10, digest: `sha256:${'cd'.repeat(32)}` });
    await awaitObject<Image, boolean>(store, 'Image', 'tofu', 'pinned', (i) => i.status?.pinned === true);
    await waitFor(() => agent.assigns.length > sent, { what: 'Assign re-sent with the pin' });
    expect(agent.assigns[agent.assigns.length - 1]!.vms[0]!.imageDigests).toEqual({ deb: `sha256:${HEX}`, tofu: `sha256:${'cd'.repeat(32)}` });
  });
});
