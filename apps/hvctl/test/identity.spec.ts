/**
 * `hvctl user`, `token` and `auth` against the fake controller: what goes to stdout and
 * stderr, the files and their modes, the context `user create` adds, and server errors kept
 * as they came (code, why, fix). The real controller: identity.medium.spec.ts.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { runCli } from '../src/cli';
import { readConfig } from '../src/config/contexts';
import { fakeIo } from './fake-io';
import { FAKE_CA_PEM, FAKE_CERT_PEM, startFakeController, type FakeController } from './fake-controller';

let fake: FakeController;
let dir: string;
let env: NodeJS.ProcessEnv;

beforeEach(async () => {
  fake = await startFakeController();
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-identity-'));
  env = { HOME: dir, HVS_CONFIG: path.join(dir, 'hvs', 'config.yaml') };
  expect((await hvctl('config', 'set-context', 'lab', '--controller', fake.address, '--use')).code).toBe(0);
});
afterEach(async () => {
  await fake.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function hvctl(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = fakeIo({ env });
  const code = await runCli(argv, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

const mode = (f: string) => fs.statSync(f).mode & 0o777;

describe('hvctl user create', () => {
  it('sends only a CSR for CN=user:NAME, keeps the key here (0600 in a 0700 folder) and adds NAME@CONTEXT pointing at the files', async () => {
    const r = await hvctl('user', 'create', 'alice', '--role', 'operator', '--scope', 'team=web', '--days', '90');
    expect(r.code).toBe(0);
    expect(r.err).toBe('');
    const [req] = fake.userRequests;
    expect(req).toMatchObject({ name: 'alice', role: 'operator', scope: 'team=web', validityDays: 90, renew: false });
    expect(req!.csrPem).toMatch(/^-----BEGIN CERTIFICATE REQUEST-----/);
    expect(JSON.stringify(req)).not.toContain('PRIVATE KEY');

    const folder = path.join(dir, 'hvs', 'users', 'lab', 'alice');
    expect(mode(folder)).toBe(0o700);
    expect(mode(path.join(folder, 'alice.key'))).toBe(0o600);
    const key = fs.readFileSync(path.join(folder, 'alice.key'), 'utf8');
    expect(key).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(fs.readFileSync(path.join(folder, 'alice.crt'), 'utf8')).toBe(FAKE_CERT_PEM);
    expect(fs.readFileSync(path.join(folder, 'ca.crt'), 'utf8')).toBe(FAKE_CA_PEM);
    expect(r.out).not.toContain('PRIVATE KEY');
    expect(r.out).toContain('User "alice" created: role operator, scope team=web, certificate valid until 2027-01-01T11:00:00.000Z.');
    expect(r.out).toContain(`hvctl config set-context alice@lab --controller ${fake.address} --ca-file ca.crt --cert-file alice.crt --key-file alice.key --use`);

    const config = readConfig(env);
    expect(config.currentContext).toBe('lab');
    expect(config.contexts.find((c) => c.name === 'alice@lab')).toEqual({
      name: 'alice@lab', controller: fake.address,
      credentials: { type: 'tls', caFile: path.join(folder, 'ca.crt'), certFile: path.join(folder, 'alice.crt'), keyFile: path.join(folder, 'alice.key') },
    });
  });

  it('the CSR names the user and only the user', async () => {
    expect((await hvctl('user', 'create', 'bob', '--role', 'viewer', '--context-name', 'bob-lab')).code).toBe(0);
    const { Pkcs10CertificateRequest } = await import('@peculiar/x509');
    const csr = new Pkcs10CertificateRequest(fake.userRequests[0]!.csrPem);
    expect(csr.subject).toBe('CN=user:bob');
    expect(csr.extensions.length).toBe(0);
    expect(readConfig(env).contexts.map((c) => c.name)).toEqual(['bob-lab', 'lab']);
    // A made-up certificate is not parsed by hvctl: it stores what the controller signed.
    expect(() => new X509Certificate(fs.readFileSync(path.join(dir, 'hvs', 'users', 'lab', 'bob', 'bob.crt')))).toThrow();
  });

  it("keeps the controller's error (code, why, fix) and writes no key when it refuses", async () => {
    await hvctl('user', 'create', 'alice', '--role', 'viewer');
    fs.rmSync(path.join(dir, 'hvs', 'users'), { recursive: true });
    const r = await hvctl('user', 'create', 'alice', '--role', 'viewer');
    expect(r.code).toBe(1);
    expect(r.err).toBe('error: HVS-AUTH-USER-EXISTS: the user "alice" already exists: a user name stands for one person or tool; fix: pick another name, or add --renew\n');
    expect(fs.existsSync(path.join(dir, 'hvs', 'users', 'lab', 'alice', 'alice.key'))).toBe(false);
    expect((await hvctl('user', 'create', 'alice', '--role', 'viewer', '--renew')).code).toBe(0);
    expect(fake.userRequests.at(-1)).toMatchObject({ renew: true });
  });

  it.each([
    [['user', 'create', 'Alice', '--role', 'viewer'], /^error: HVS-CLI-USAGE: the user name "Alice" is invalid; fix: use 1-63 lowercase/],
    [['user', 'create', 'alice', '--role', 'viewer', '--days', 'x'], /^error: HVS-CLI-USAGE: --days "x" is not a number of days/],
    [['user', 'create', 'alice', '--role', 'viewer', '--context-name', 'a/b'], /^error: HVS-CLI-CONTEXT-NAME-INVALID: /],
    [['user', 'create', 'alice', '--role', 'viewer', '--context-name', 'lab'], /^error: HVS-CLI-USAGE: --context-name lab is the context this command uses/],
  ])('refuses %j before asking the controller', async (argv, err) => {
    const r = await hvctl(...argv);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(err);
    expect(fake.userRequests).toEqual([]);
  });
});

describe('hvctl user list, delete', () => {
  it('lists NAME ROLE SCOPE CERT-EXPIRES CREATED, or JSON', async () => {
    await hvctl('user', 'create', 'alice', '--role', 'operator', '--scope', 'team=web');
    await hvctl('user', 'create', 'bob', '--role', 'viewer');
    const r = await hvctl('user', 'list');
    expect(r.out).toBe([
      'NAME    ROLE       SCOPE      CERT-EXPIRES               CREATED',
      'alice   operator   team=web   2027-01-01T11:00:00.000Z   2026-01-01T11:00:00.000Z',
      'bob     viewer     (all)      2027-01-01T11:00:00.000Z   2026-01-01T11:00:00.000Z',
      '',
    ].join('\n'));
    expect(JSON.parse((await hvctl('user', 'list', '-o', 'json')).out).users.map((u: { name: string }) => u.name)).toEqual(['alice', 'bob']);
  });

  it('delete says the certificates stop working; an unknown user is HVS-CLI-USER-NOT-FOUND', async () => {
    await hvctl('user', 'create', 'alice', '--role', 'viewer');
    const r = await hvctl('user', 'delete', 'alice');
    expect(r.code).toBe(0);
    expect(r.out).toContain('User "alice" deleted: its certificates stop working at once (calls with them get HVS-AUTH-CREDENTIAL-INVALID).');
    expect(r.out).toContain(`rm -r ${path.join(dir, 'hvs', 'users', 'lab', 'alice')} && hvctl config delete-context alice@lab`);
    const again = await hvctl('user', 'delete', 'alice');
    expect(again).toMatchObject({ code: 1, out: '' });
    expect(again.err).toMatch(/^error: HVS-CLI-USER-NOT-FOUND: the user "alice" does not exist: nothing was deleted; fix: /);
  });
});

describe('hvctl token', () => {
  it('create prints the token alone on stdout, the note on stderr', async () => {
    const r = await hvctl('token', 'create', 'ci', '--role', 'operator', '--ttl', '2h');
    expect(r.code).toBe(0);
    expect(r.out).toBe('hvs_0000000000000001_s3cr3t0000000000000001\n');
    expect(r.err).not.toContain('s3cr3t');
    expect(r.err).toContain('API token 0000000000000001 "ci" created: role operator, valid until 2026-01-01T13:00:00.000Z.');
    expect(r.err).toContain(`hvctl config set-context ci --controller ${fake.address} --ca-file CA.crt --token-file ci.token`);
    expect(r.err).toContain('chmod 600 it (--output FILE creates it 0600)');
  });

  it('--output writes the token to a 0600 file and nothing to stdout; a format word there is refused before the call', async () => {
    const file = path.join(dir, 'ci.token');
    const r = await hvctl('token', 'create', 'ci', '--role', 'viewer', '--output', file);
    expect(r).toMatchObject({ code: 0, out: '' });
    expect(fs.readFileSync(file, 'utf8')).toBe('hvs_0000000000000001_s3cr3t0000000000000001\n');
    expect(mode(file)).toBe(0o600);
    expect(r.err).toContain(`The token is in ${file} (0600)`);
    const bad = await hvctl('token', 'create', 'ci2', '--role', 'viewer', '--output', 'json');
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^error: HVS-CLI-USAGE: --output "json" looks like a format/);
    expect((await hvctl('token', 'create', 'ci3', '--role', 'viewer', '--output', path.join(dir, 'nope', 't'))).err).toMatch(/^error: HVS-CLI-USAGE: the folder of --output/);
    expect([...fake.tokens.values()].map((t) => t.name)).toEqual(['ci']);
  });

  it('list shows ID NAME TYPE ROLE SCOPE EXPIRES CREATED-BY, never a secret; revoke takes an id only', async () => {
    await hvctl('token', 'create', 'ci', '--role', 'operator', '--scope', 'team=web', '--ttl', '1d');
    const r = await hvctl('token', 'list');
    expect(r.out).toBe([
      'ID                 NAME   TYPE   ROLE       SCOPE      EXPIRES                    CREATED-BY',
      '0000000000000001   ci     api    operator   team=web   2026-01-02T11:00:00.000Z   user:admin',
      '',
    ].join('\n'));
    expect((await hvctl('token', 'list', '-o', 'json')).out).not.toContain('s3cr3t');
    const pasted = await hvctl('token', 'revoke', 'hvs_0000000000000001_s3cr3t0000000000000001');
    expect(pasted.code).toBe(1);
    expect(pasted.err).not.toContain('s3cr3t');
    expect(await hvctl('token', 'revoke', '0000000000000001')).toMatchObject({ code: 0, out: 'API token 0000000000000001 revoked: calls with it are refused from now on.\n' });
    expect((await hvctl('token', 'revoke', '0000000000000001')).err).toMatch(/^error: HVS-CLI-TOKEN-NOT-FOUND: no API token 0000000000000001/);
  });
});

describe('hvctl auth', () => {
  it('whoami prints kind, name, role, scope, credential and permissions', async () => {
    fake.whoAmI = { kind: 'user', name: 'ci', role: 'operator', scope: 'team=web', credential: 'token', permissions: ['resources.read', 'vms.lifecycle'] };
    const r = await hvctl('auth', 'whoami');
    expect(r.out).toBe([
      `Context:     lab (${fake.address})`,
      'Kind:        user',
      'Name:        ci',
      'Role:        operator',
      'Scope:       team=web',
      'Credential:  token',
      'Permissions: resources.read, vms.lifecycle',
      '',
    ].join('\n'));
  });

  it('can-i exits 0 with yes, 1 with no and the reason; an unknown action is the controller\'s error', async () => {
    fake.canI.set('resources.read', { allowed: true, permission: 'resources.read', reason: '' });
    fake.canI.set('VmService/Start', { allowed: false, permission: 'vms.lifecycle', reason: 'the role viewer does not include vms.lifecycle' });
    expect(await hvctl('auth', 'can-i', 'resources.read')).toEqual({ code: 0, out: 'yes\n', err: '' });
    expect(await hvctl('auth', 'can-i', 'VmService/Start', 'vm', 'web-1')).toEqual({
      code: 1, out: 'no\n', err: 'the role viewer does not include vms.lifecycle (needs vms.lifecycle); ask an admin for a role that has it (docs/security.md#roles)\n',
    });
    const unknown = await hvctl('auth', 'can-i', 'fly');
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/^error: HVS-AUTH-ACTION-UNKNOWN: "fly" is neither/);
  });
});

describe('hvctl config set-context --ca-file --token-file', () => {
  it('stores a TLS context that also presents the token file, and get-contexts shows both', async () => {
    const r = await hvctl('config', 'set-context', 'ci', '--controller', '10.0.0.5:7443', '--ca-file', '/etc/hvs/ca.crt', '--token-file', '/etc/hvs/ci.token');
    expect(r.code).toBe(0);
    expect(readConfig(env).contexts.find((c) => c.name === 'ci')!.credentials).toEqual({ type: 'tls', caFile: '/etc/hvs/ca.crt', tokenFile: '/etc/hvs/ci.token' });
    expect((await hvctl('config', 'get-contexts')).out).toContain('ci     10.0.0.5:7443     tls (/etc/hvs/ca.crt) + token (/etc/hvs/ci.token)');
  });
});
