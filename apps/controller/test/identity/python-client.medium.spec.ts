/**
 * The access rules seen by a client that shares no code with us: Python's grpcio (Debian's
 * python3-grpcio) against the running controller, speaking only the wire (test/clients/python).
 * Without a credential every method but Join is UNAUTHENTICATED (so the node-takeover sequence
 * of issue 12 stops at its first step, an anonymous CreateJoinToken); a viewer's mutating calls
 * are PERMISSION_DENIED; a node certificate works only for its own node's calls; a certificate of
 * another CA is refused, not treated as anonymous; REST without a token answers 401.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { startEtcd, type EtcdInstance } from '../../../../test/harness';
import { describeWhen } from '../../../../test/harness/tiers';
import { bootstrapFiles } from '../../src/identity';
import { ClusterCa } from '../../src/pki';
import { call, startController, type ControllerUnderTest } from '../api/controller-under-test';
import { nodeIdentity } from '../pki/fixtures';
import { expectedFor, METHODS, sample } from './api-methods';

jest.setTimeout(120_000);

const PROBE = path.resolve(__dirname, '../../../../test/clients/python/hvs_probe.py');
const hasGrpcio = fs.existsSync('/usr/lib/python3/dist-packages/grpc');

let etcd: EtcdInstance;
let ctl: ControllerUnderTest;
let dir: string;

interface Answer { path: string; code: string }

async function probe(args: string[], node = 'n1'): Promise<Map<string, string>> {
  const calls = METHODS.map((m) => ({
    path: m.def.path, stream: m.def.responseStream, clientStream: m.def.requestStream,
    request: m.def.requestSerialize({ ...(m.def.requestDeserialize(Buffer.alloc(0)) as object), ...sample(m.name, node) }).toString('base64'),
  }));
  const child = promisify(execFile)('/usr/bin/python3', [PROBE, '--target', ctl.grpc, '--ca', path.join(dir, 'ca.crt'), ...args], { timeout: 90_000 });
  child.child.stdin!.end(JSON.stringify(calls));
  const { stdout } = await child;
  return new Map((JSON.parse(stdout) as Answer[]).map((a) => [a.path.replace(/^\/hvs\.v1\./, ''), a.code]));
}

function write(name: string, text: string): string {
  const f = path.join(dir, name);
  fs.writeFileSync(f, text, { mode: 0o600 });
  return f;
}

describeWhen(hasGrpcio, 'python3-grpcio is not installed (npm run setup installs it)')('a Python grpcio client against the real controller', () => {
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvs-py-'));
    etcd = await startEtcd();
    ctl = await startController(etcd.endpoint);
    write('ca.crt', ctl.pki.ca.certificatePem);
  });
  afterAll(async () => {
    await ctl?.close();
    await etcd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('without a credential every method but Join is UNAUTHENTICATED', async () => {
    const got = await probe([]);
    expect(got.size).toBe(METHODS.length);
    for (const [method, code] of got) expect([method, code]).toEqual([method, method === 'NodeService/Join' ? expect.not.stringMatching(/^UNAUTHENTICATED$/) : 'UNAUTHENTICATED']);
  });

  it('a viewer token reads but every mutating method is PERMISSION_DENIED', async () => {
    const token = write('viewer.token', await ctl.tokenFor('py-viewer', 'viewer'));
    const got = await probe(['--token-file', token]);
    for (const m of METHODS) {
      const code = got.get(m.name);
      if (expectedFor('viewer', m.name, false) === 'denied') expect([m.name, code]).toEqual([m.name, 'PERMISSION_DENIED']);
      else expect([m.name, ['PERMISSION_DENIED', 'UNAUTHENTICATED'].includes(code!)]).toEqual([m.name, false]);
    }
    expect(got.get('ResourceService/List')).toBe('OK');
  });

  it('the bootstrap admin certificate may call everything but the nodes\' own calls', async () => {
    const admin = bootstrapFiles(ctl.dataDir);
    const got = await probe(['--cert', admin.certFile, '--key', admin.keyFile]);
    for (const m of METHODS) {
      const code = got.get(m.name)!;
      if (expectedFor('admin', m.name, false) === 'denied') expect([m.name, code]).toEqual([m.name, 'PERMISSION_DENIED']);
      else expect([m.name, ['PERMISSION_DENIED', 'UNAUTHENTICATED'].includes(code)]).toEqual([m.name, false]);
    }
    expect(got.get('NodeService/RegisterNode')).toBe('PERMISSION_DENIED');
  });

  it('a node certificate works only for its own node-scoped calls', async () => {
    const id = await ctl.joinNode('n1');
    const args = ['--cert', write('n1.crt', id.certPem), '--key', write('n1.key', id.keyPem)];
    for (const about of ['n1', 'n2']) {
      const got = await probe(args, about);
      for (const m of METHODS) {
        const code = got.get(m.name)!;
        if (expectedFor('node', m.name, about === 'n1') === 'denied') expect([m.name, about, code]).toEqual([m.name, about, 'PERMISSION_DENIED']);
        else expect([m.name, about, ['PERMISSION_DENIED', 'UNAUTHENTICATED'].includes(code)]).toEqual([m.name, about, false]);
      }
    }
  });

  it('a deleted node\'s certificate is refused at once', async () => {
    const id = await ctl.joinNode('n3');
    const args = ['--cert', write('n3.crt', id.certPem), '--key', write('n3.key', id.keyPem)];
    expect((await probe(args, 'n3')).get('NodeService/Heartbeat')).not.toBe('UNAUTHENTICATED');
    await call(ctl.resources, ctl.resources.delete, { kind: 'Node', name: 'n3', wait: false, resourceVersion: '', waitTimeoutMs: 0, names: [], labelSelector: '', ignoreNotFound: false, force: false });
    const after = await probe(args, 'n3');
    expect([after.get('NodeService/Heartbeat'), after.get('NodeService/RegisterNode')]).toEqual(['UNAUTHENTICATED', 'UNAUTHENTICATED']);
  });

  it('a client certificate of another CA is refused, not served as anonymous (not even Join)', async () => {
    const other = await ClusterCa.loadOrCreate(fs.mkdtempSync(path.join(dir, 'other-')));
    const id = await nodeIdentity(other, 'n1');
    const got = await probe(['--cert', write('o.crt', id.certPem), '--key', write('o.key', id.keyPem)]);
    for (const [method, code] of got) expect([method, code]).toEqual([method, 'UNAVAILABLE']);
  });

  it('a node certificate that was never recorded (signed by the CA, never joined) is refused', async () => {
    const id = await nodeIdentity(ctl.pki.ca, 'n9');
    const got = await probe(['--cert', write('n9.crt', id.certPem), '--key', write('n9.key', id.keyPem)], 'n9');
    for (const [method, code] of got) if (method !== 'NodeService/Join') expect([method, code]).toEqual([method, 'UNAUTHENTICATED']);
  });

  it('REST without a token answers 401 on every route, with the coded error', async () => {
    for (const [method, route] of [['GET', '/vms'], ['POST', '/apply'], ['DELETE', '/vms/x'], ['POST', '/vms/x/start'], ['GET', '/audit'], ['GET', '/openapi.json']]) {
      const body = method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {};
      const res = await fetch(`${ctl.http}${route}`, { method, ...body });
      expect([route, res.status, ((await res.json()) as { code: string }).code]).toEqual([route, 401, 'HVS-AUTH-UNAUTHENTICATED']);
    }
  });
});
