/**
 * The one way Secret values leave the controller: a VM's resolved secretRefs in its own node's
 * Assign (real etcd with encryption at rest, real gRPC to a fake agent).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Secret, VirtualMachine } from '@hvs/domain';
import { startEtcd, waitFor, type EtcdInstance } from '../../../../test/harness';
import { Dispatcher } from '../../src/dispatch';
import { EnvelopeTransformer, EtcdStore, KeyRing } from '../../src/store';
import { nodeDoc, startDispatcherInformers, vmDoc } from '../runtime/fixtures';
import { FakeAgent } from '../dispatch/fake-agent';

jest.setTimeout(30_000);

let etcd: EtcdInstance;
let store: EtcdStore;
let agent: FakeAgent;
let keyDir: string;
const stops: (() => Promise<void>)[] = [];

const secret = (password: string): Secret => ({ apiVersion: 'hvs/v1', kind: 'Secret', metadata: { name: 'db-creds' }, spec: { data: { password } } });
const withRefs = (vm: VirtualMachine): VirtualMachine => ({ ...vm, spec: { ...vm.spec, cloudInit: { secretRefs: ['db-creds'] } } });

beforeAll(async () => {
  etcd = await startEtcd();
  keyDir = mkdtempSync(join(tmpdir(), 'hvs-secret-assign-'));
  store = new EtcdStore({ endpoints: [etcd.endpoint], callTimeoutMs: 3_000, transformer: new EnvelopeTransformer(KeyRing.loadOrCreate(keyDir)) });
  agent = new FakeAgent();
  await agent.listen();
  await store.create(secret('hunter2'));
  await store.create(nodeDoc('node-a', { address: agent.address }));
  await store.create(withRefs(vmDoc('web', { node: 'node-a' })));
  await store.create(vmDoc('plain', { node: 'node-a' }));
  const started = await startDispatcherInformers(store);
  stops.push(started.stop);
  const dispatcher = new Dispatcher({ store, informers: started.informers, controllerId: 'ctl-test', reconnectBaseMs: 50, reconnectMaxMs: 200 });
  dispatcher.start();
  stops.push(() => dispatcher.stop());
});
afterAll(async () => {
  for (const s of stops.reverse()) await s();
  await agent?.stop();
  await store?.close();
  await etcd?.stop();
  rmSync(keyDir, { recursive: true, force: true });
});

type Assign = FakeAgent['assigns'][number];
const secretsOf = (a: Assign) => Object.fromEntries(a.vms.map((a) => [a.vm!.metadata!.name, Object.fromEntries(Object.entries(a.secrets).map(([k, v]) => [k, v.toString()]))]));

describe('secretRefs in the Assign (real etcd, encrypted at rest)', () => {
  it('the referencing VM gets the resolved values, the other none; a changed value is sent again', async () => {
    await waitFor(() => agent.assigns.length >= 1, { what: 'first Assign' });
    expect(secretsOf(agent.assigns[0]!)).toEqual({ plain: {}, web: { 'db-creds/password': 'hunter2' } });
    await store.update(secret('s3cret'));
    const next = await waitFor(() => agent.assigns.find((a) => a.vms.some((v) => v.secrets['db-creds/password']?.toString() === 's3cret')), { what: 'an Assign with the new value' });
    expect(secretsOf(next).web).toEqual({ 'db-creds/password': 's3cret' });
  });
});
