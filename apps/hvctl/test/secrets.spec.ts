// hvctl's side of Secrets over real gRPC against the fake controller: --reveal is asked for
// explicitly (one named object only), tables never show values, rotation calls AdminService.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../src/cli';
import { fakeIo } from './fake-io';
import { startFakeController, type FakeController } from './fake-controller';

let fake: FakeController;
let tmp: string;
beforeEach(async () => {
  fake = await startFakeController();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-secrets-'));
  fake.objects.set('Secret/db-creds', { apiVersion: 'hvs/v1', kind: 'Secret', metadata: { name: 'db-creds' }, spec: { data: { password: 'hunter2', user: 'app' } } } as never);
});
afterEach(async () => {
  await fake.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function hvctl(args: string[]) {
  const io = fakeIo({ env: { HOME: tmp } });
  const code = await runCli(['--server', fake.address, ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
}

describe('hvctl and Secrets', () => {
  it('get secret asks without reveal; --reveal asks for it explicitly', async () => {
    await hvctl(['get', 'secret', 'db-creds', '-o', 'yaml']);
    expect(fake.calls.filter((c) => c.startsWith('reveal'))).toEqual([]);
    const r = await hvctl(['get', 'secret', 'db-creds', '--reveal', '-o', 'yaml']);
    expect(r.code).toBe(0);
    expect(fake.calls).toContain('reveal Secret/db-creds');
  });

  it('--reveal without a name, or with --watch, is a usage error', async () => {
    for (const args of [['get', 'secrets', '--reveal'], ['get', 'secret', 'db-creds', '--reveal', '-w']]) {
      const r = await hvctl(args);
      expect(r.code).not.toBe(0);
      expect(r.err).toContain('HVS-CLI-USAGE');
    }
  });

  it('the table shows key counts and names, never values', async () => {
    const r = await hvctl(['get', 'secrets', '-o', 'wide']);
    expect(r.out).toMatch(/NAME\s+KEYS\s+AGE\s+KEY NAMES\ndb-creds\s+2\s+\S+\s+password,user/);
    expect(r.out).not.toContain('hunter2');
  });

  it('admin rotate-encryption-key calls AdminService and prints the new and retired keys', async () => {
    const r = await hvctl(['admin', 'rotate-encryption-key']);
    expect(r.code).toBe(0);
    expect(fake.calls).toContain('rotate-encryption-key');
    expect(r.out).toBe('new encryption key k2: 3 value(s) re-encrypted; retired k1\n');
    expect((await hvctl(['admin', 'rotate-encryption-key', '-o', 'json'])).out).toBe('{"keyId":"k2","reencrypted":3,"retiredKeyIds":["k1"]}\n');
  });
});
