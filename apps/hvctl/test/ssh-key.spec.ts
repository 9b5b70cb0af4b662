// `hvctl apply --ssh-key auto|FILE` over real gRPC against the fake controller: keys from
// ~/.ssh/*.pub go into VMs with spec.cloudInit and no keys or userData, stderr names the files;
// no key found says how to make one; a private key or a missing file is refused.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { VirtualMachine } from '@hvs/domain';
import { runCli } from '../src/cli';
import { fakeIo } from './fake-io';
import { startFakeController, type FakeController } from './fake-controller';

const ED = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB0n3xZpQ9rXJkzT4Ck6V1bq7Yy2mW0hLr8sFzQe3pTa me@laptop';
const RSA = 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 me@old';
const OWN = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOwnKeyOwnKeyOwnKeyOwnKeyOwnKeyOwnKeyOwnK own@key';

const MANIFEST = `apiVersion: hvs/v1
kind: VirtualMachine
metadata: { name: demo-1 }
spec:
  cpu: { cores: 1 }
  memory: { size: 512MiB }
  disks: [{ name: root, size: 1GiB }]
  networks: []
  cloudInit: { hostname: demo-1 }
---
apiVersion: hvs/v1
kind: VirtualMachine
metadata: { name: demo-2 }
spec:
  cpu: { cores: 1 }
  memory: { size: 512MiB }
  disks: [{ name: root, size: 1GiB }]
  networks: []
  cloudInit:
    users: [{ name: ops, sudo: true }]
---
apiVersion: hvs/v1
kind: VirtualMachine
metadata: { name: has-keys }
spec:
  cpu: { cores: 1 }
  memory: { size: 512MiB }
  disks: [{ name: root, size: 1GiB }]
  networks: []
  cloudInit: { sshAuthorizedKeys: ['${OWN}'] }
---
apiVersion: hvs/v1
kind: VirtualMachine
metadata: { name: raw }
spec:
  cpu: { cores: 1 }
  memory: { size: 512MiB }
  disks: [{ name: root, size: 1GiB }]
  networks: []
  cloudInit: { userData: "#cloud-config\\n" }
---
apiVersion: hvs/v1
kind: VirtualMachine
metadata: { name: no-ci }
spec:
  cpu: { cores: 1 }
  memory: { size: 512MiB }
  disks: [{ name: root, size: 1GiB }]
  networks: []
`;

let fake: FakeController;
let home: string;
let manifest: string;
beforeEach(async () => {
  fake = await startFakeController();
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-sshkey-'));
  manifest = path.join(home, 'vms.yaml');
  fs.writeFileSync(manifest, MANIFEST);
});
afterEach(async () => {
  await fake.stop();
  fs.rmSync(home, { recursive: true, force: true });
});

async function hvctl(args: string[]) {
  const io = fakeIo({ env: { HOME: home } });
  const code = await runCli(['--server', fake.address, ...args], io);
  return { code, out: io.stdout(), err: io.stderr() };
}
const keysOf = (name: string) => (fake.objects.get(`VirtualMachine/${name}`) as VirtualMachine | undefined)?.spec.cloudInit?.sshAuthorizedKeys;

function writeSsh(files: Record<string, string>): void {
  fs.mkdirSync(path.join(home, '.ssh'), { mode: 0o700 });
  for (const [n, t] of Object.entries(files)) fs.writeFileSync(path.join(home, '.ssh', n), t);
}

describe('hvctl apply --ssh-key', () => {
  it('auto: every ~/.ssh/*.pub into the VMs with cloudInit and no keys or userData; stderr names the files', async () => {
    writeSsh({ 'id_ed25519.pub': `${ED}\n`, 'id_rsa.pub': `${RSA}\n`, id_ed25519: '-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n-----END OPENSSH PRIVATE KEY-----\n', 'notes.txt': ED });
    const r = await hvctl(['apply', '-f', manifest, '--ssh-key', 'auto']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('hvctl: SSH keys from ~/.ssh/id_ed25519.pub, ~/.ssh/id_rsa.pub put into spec.cloudInit.sshAuthorizedKeys of demo-1, demo-2\n');
    expect(keysOf('demo-1')).toEqual([ED, RSA]);
    expect(keysOf('demo-2')).toEqual([ED, RSA]);
    expect(keysOf('has-keys')).toEqual([OWN]);
    expect(keysOf('raw')).toBeUndefined();
    expect((fake.objects.get('VirtualMachine/no-ci') as VirtualMachine).spec.cloudInit).toBeUndefined();
    expect(JSON.stringify([...fake.objects.values()])).not.toContain('PRIVATE KEY');
  });

  it('a FILE: only its keys; ~ is the home dir', async () => {
    writeSsh({ 'id_ed25519.pub': `${ED}\n`, 'id_rsa.pub': `${RSA}\n` });
    const r = await hvctl(['apply', '-f', manifest, '--ssh-key', '~/.ssh/id_rsa.pub']);
    expect(r.code).toBe(0);
    expect(r.err).toBe('hvctl: SSH key from ~/.ssh/id_rsa.pub put into spec.cloudInit.sshAuthorizedKeys of demo-1, demo-2\n');
    expect(keysOf('demo-1')).toEqual([RSA]);
  });

  it('auto without any key: says so and how to create one, and applies without keys', async () => {
    const r = await hvctl(['apply', '-f', manifest, '--ssh-key', 'auto']);
    expect(r.code).toBe(0);
    expect(r.err).toContain('no SSH public key found in ~/.ssh/*.pub, so demo-1, demo-2 get none');
    expect(r.err).toContain('ssh-keygen -t ed25519');
    expect(keysOf('demo-1')).toBeUndefined();
  });

  it('a private key or a missing file is refused with a coded error, nothing applied', async () => {
    writeSsh({ id_ed25519: '-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n-----END OPENSSH PRIVATE KEY-----\n' });
    const bad = await hvctl(['apply', '-f', manifest, '--ssh-key', path.join(home, '.ssh', 'id_ed25519')]);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('HVS-CLI-SSH-KEY-INVALID');
    expect(bad.err).not.toContain('secret');
    const missing = await hvctl(['apply', '-f', manifest, '--ssh-key', path.join(home, 'nope.pub')]);
    expect(missing.err).toContain('HVS-CLI-SSH-KEY-UNREADABLE');
    expect(fake.calls).not.toContain('apply');
  });

  it('plan takes the same flag, so it shows what apply --ssh-key would send', async () => {
    writeSsh({ 'id_ed25519.pub': `${ED}\n` });
    await hvctl(['apply', '-f', manifest, '--ssh-key', 'auto']);
    const same = await hvctl(['plan', '-f', manifest, '--ssh-key', 'auto']);
    expect(same.code).toBe(0);
    const without = await hvctl(['plan', '-f', manifest]);
    expect(without.out).toContain('spec.cloudInit.sshAuthorizedKeys');
  });
});
