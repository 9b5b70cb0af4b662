/**
 * hvctl's user, token and auth commands against the REAL controller (real etcd, the whole
 * app on free ports): a viewer made with `hvctl user create` reads but is refused writes,
 * and is refused altogether once deleted; an API token from `hvctl token create` works from a
 * context until `hvctl token revoke`. The admin context is `set-context --ca-file --token-file`
 * with the controller-under-test's admin token. Every call goes through runCli as a person
 * types it.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startEtcd, type EtcdInstance } from '../../../test/harness';
import { startController, type ControllerUnderTest } from '../../controller/test/api/controller-under-test';
import { batch, NETWORK_YAML, vmYaml } from '../../controller/test/services/manifests';
import { runCli } from '../src/cli';
import { ControllerClient } from '../src/client/controller-client';
import { readConfig, resolveContext } from '../src/config/contexts';
import { fakeIo } from './fake-io';

let etcd: EtcdInstance;
let ctl: ControllerUnderTest;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  etcd = await startEtcd();
  ctl = await startController(etcd.endpoint);
}, 60_000);
afterAll(async () => {
  await ctl?.close();
  await etcd?.stop();
});

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-identity-'));
  // XDG_CONFIG_HOME: the contexts file and the users/ folder live under dir/hvs.
  env = { HOME: dir, XDG_CONFIG_HOME: dir };
  fs.writeFileSync(path.join(dir, 'ca.crt'), ctl.pki.ca.certificatePem);
  fs.writeFileSync(path.join(dir, 'admin.token'), `${ctl.token}\n`, { mode: 0o600 });
  const r = await hvctl('config', 'set-context', 'admin', '--controller', ctl.grpc, '--ca-file', path.join(dir, 'ca.crt'), '--token-file', path.join(dir, 'admin.token'), '--use');
  expect(r.code).toBe(0);
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

async function hvctl(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo({ env });
  const code = await runCli(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

const mode = (f: string) => fs.statSync(f).mode & 0o777;

/** The HvsError category (the gRPC status) of `call` through `context`, or 'ok'. */
async function categoryOf(context: string, call: (c: ControllerClient) => Promise<unknown> = (c) => c.list('VirtualMachine')): Promise<string> {
  const client = new ControllerClient(resolveContext(readConfig(env), env, context));
  try {
    await call(client);
    return 'ok';
  } catch (e) {
    return (e as { category: string }).category;
  } finally {
    client.close();
  }
}

describe('hvctl user, token and auth against the real controller', () => {
  it('a viewer made by `user create` reads, is refused writes, and is refused altogether once deleted', async () => {
    const made = await hvctl('user', 'create', 'vera', '--role', 'viewer', '--days', '30');
    expect(made).toMatchObject({ code: 0, err: '' });
    const folder = path.join(dir, 'hvs', 'users', 'admin', 'vera');
    expect(made.out).toContain(`Context "vera@admin" added`);
    expect(made.out).not.toContain('PRIVATE KEY');
    expect(mode(folder)).toBe(0o700);
    expect(mode(path.join(dir, 'hvs', 'users', 'admin'))).toBe(0o700);
    expect(mode(path.join(folder, 'vera.key'))).toBe(0o600);
    expect(fs.readFileSync(path.join(folder, 'vera.key'), 'utf8')).toContain('PRIVATE KEY');
    expect(fs.readFileSync(path.join(folder, 'ca.crt'), 'utf8')).toBe(ctl.pki.ca.certificatePem);

    const who = await hvctl('--context', 'vera@admin', 'auth', 'whoami', '-o', 'json');
    expect(who.code).toBe(0);
    expect(JSON.parse(who.out)).toMatchObject({ context: 'vera@admin', kind: 'user', name: 'vera', role: 'viewer', credential: 'certificate', permissions: ['resources.read', 'audit.read'] });

    expect(await hvctl('--context', 'vera@admin', 'get', 'vms')).toMatchObject({ code: 0 });
    fs.writeFileSync(path.join(dir, 'vm.yaml'), vmYaml('web-1'));
    const apply = await hvctl('--context', 'vera@admin', 'apply', '-f', path.join(dir, 'vm.yaml'));
    expect(apply.code).toBe(1);
    expect(apply.err).toMatch(/^error: HVS-AUTH-FORBIDDEN: user:vera may not .*vms\.write/);
    expect(apply.err).toContain('hvctl auth can-i');
    expect(await categoryOf('vera@admin')).toBe('ok');
    const manifest = { manifestJson: JSON.stringify({ apiVersion: 'hvs/v1', kind: 'Network', metadata: { name: 'lan' }, spec: { mode: 'nat', subnet: '10.9.0.0/24' } }), source: 'x.yaml', index: 0, line: 1 };
    expect(await categoryOf('vera@admin', (c) => c.apply({ documents: [manifest], dryRun: true, fieldManager: '', pruneSelector: '' }))).toBe('PermissionDenied');

    const no = await hvctl('--context', 'vera@admin', 'auth', 'can-i', 'VmService/Start');
    expect(no).toEqual({ code: 1, out: 'no\n', err: expect.stringContaining('the role viewer does not include vms.lifecycle') });
    expect(await hvctl('--context', 'vera@admin', 'auth', 'can-i', 'resources.read', 'vm', 'web-1')).toEqual({ code: 0, out: 'yes\n', err: '' });

    const list = await hvctl('user', 'list');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(/^NAME +ROLE +SCOPE +CERT-EXPIRES +CREATED\n/);
    expect(list.out).toMatch(/\nvera +viewer +\(all\) +\d{4}-/);

    const again = await hvctl('user', 'create', 'vera', '--role', 'viewer');
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/^error: HVS-AUTH-USER-EXISTS: .*--renew/);

    const deleted = await hvctl('user', 'delete', 'vera');
    expect(deleted.code).toBe(0);
    expect(deleted.out).toContain('certificates stop working at once');
    const refused = await hvctl('--context', 'vera@admin', 'get', 'vms');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error: HVS-AUTH-CREDENTIAL-INVALID: .*"vera" does not exist/);
    expect(await categoryOf('vera@admin')).toBe('Unauthenticated');
    expect((await hvctl('user', 'delete', 'vera')).err).toMatch(/^error: HVS-CLI-USER-NOT-FOUND: /);
  });

  it('a token from `token create` works from a context until `token revoke`; its secret is on stdout alone or in a 0600 file', async () => {
    const printed = await hvctl('token', 'create', 'ci-print', '--role', 'viewer', '--ttl', '1h');
    expect(printed.code).toBe(0);
    expect(printed.out).toMatch(/^hvs_[0-9a-f]{16}_\S+\n$/);
    expect(printed.err).not.toContain(printed.out.trim());

    const file = path.join(dir, 'ci.token');
    const created = await hvctl('token', 'create', 'ci', '--role', 'operator', '--output', file);
    expect(created.code).toBe(0);
    expect(created.out).toBe('');
    expect(mode(file)).toBe(0o600);
    const secret = fs.readFileSync(file, 'utf8').trim();
    const id = /^hvs_([0-9a-f]{16})_/.exec(secret)![1]!;
    expect(created.err).toContain(`API token ${id} "ci" created: role operator`);
    expect(created.err).not.toContain(secret);

    const set = await hvctl('config', 'set-context', 'ci', '--controller', ctl.grpc, '--ca-file', path.join(dir, 'ca.crt'), '--token-file', file);
    expect(set.code).toBe(0);
    const who = await hvctl('--context', 'ci', 'auth', 'whoami');
    expect(who.code).toBe(0);
    expect(who.out).toMatch(/Name: +ci\nRole: +operator\n/);
    expect(who.out).toMatch(/Credential: +token\n/);
    expect(await hvctl('--context', 'ci', 'auth', 'can-i', 'vms.lifecycle')).toMatchObject({ code: 0, out: 'yes\n' });

    const list = await hvctl('token', 'list');
    expect(list.code).toBe(0);
    expect(list.out).toMatch(new RegExp(`\\n${id} +ci +api +operator +\\(all\\) +\\S+ +user:tester\\n`));
    expect(list.out).not.toContain(secret.split('_')[2]);

    expect(await hvctl('token', 'revoke', id)).toMatchObject({ code: 0, out: expect.stringContaining(`API token ${id} revoked`) });
    const refused = await hvctl('--context', 'ci', 'get', 'vms');
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/^error: HVS-AUTH-CREDENTIAL-INVALID: .*revoked/);
    expect(await categoryOf('ci')).toBe('Unauthenticated');
    expect((await hvctl('token', 'revoke', id)).err).toMatch(/^error: HVS-CLI-TOKEN-NOT-FOUND: /);
  });

  it('a scoped operator (--scope team=web) sees and may act on its objects only', async () => {
    fs.writeFileSync(path.join(dir, 'lab.yaml'), batch(NETWORK_YAML, vmYaml('web-1', { labels: { team: 'web' } }), vmYaml('db-1', { labels: { team: 'db' } })));
    expect(await hvctl('apply', '-f', path.join(dir, 'lab.yaml'))).toMatchObject({ code: 0 });
    expect((await hvctl('user', 'create', 'sam', '--role', 'operator', '--scope', 'team=web')).code).toBe(0);

    const who = await hvctl('--context', 'sam@admin', 'auth', 'whoami');
    expect(who.out).toMatch(/Role: +operator\nScope: +team=web\nCredential: +certificate\n/);
    const vms = await hvctl('--context', 'sam@admin', 'get', 'vms', '-o', 'name');
    expect(vms).toMatchObject({ code: 0 });
    expect(vms.out).toContain('web-1');
    expect(vms.out).not.toContain('db-1');
    expect(await hvctl('--context', 'sam@admin', 'auth', 'can-i', 'vms.lifecycle', 'vm', 'web-1')).toEqual({ code: 0, out: 'yes\n', err: '' });
    const db = await hvctl('--context', 'sam@admin', 'auth', 'can-i', 'vms.lifecycle', 'vm', 'db-1');
    expect(db).toMatchObject({ code: 1, out: 'no\n' });
    expect(db.err).toContain("outside the role's label scope");
    await hvctl('user', 'delete', 'sam');
  });
});
