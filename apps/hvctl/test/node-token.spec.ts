/**
 * `hvctl node token create|list` flags for replacing a node and for multi-use tokens, against
 * the fake controller on a real gRPC server: what reaches the controller, and the usage errors
 * hvctl gives before asking it. The controller's own checks: apps/controller/test/pki/.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../src/cli';
import { fakeIo, type FakeIo } from './fake-io';
import { startFakeController, type FakeController } from './fake-controller';

let fake: FakeController;
let tmp: string;

beforeEach(async () => {
  fake = await startFakeController();
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-token-'));
});
afterEach(async () => {
  await fake.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

async function hvctl(args: string[]): Promise<{ code: number; io: FakeIo }> {
  const io = fakeIo({ env: { HOME: tmp } });
  const code = await runCli(['--server', fake.address, ...args], io);
  return { code, io };
}

describe('hvctl node token create --replace / --uses', () => {
  it('sends replace for --node X --replace and says the current host is cut off', async () => {
    const r = await hvctl(['node', 'token', 'create', '--node', 'host-2', '--replace']);
    expect(r.code).toBe(0);
    expect(fake.joinTokens).toEqual([{ ttlSeconds: 3600, nodeName: 'host-2', replace: true, uses: 1 }]);
    expect(r.io.stderr()).toContain('only to replace node host-2');
  });

  it('sends uses for --uses 50 --ttl 1h; list shows the uses left', async () => {
    const r = await hvctl(['node', 'token', 'create', '--uses', '50', '--ttl', '1h']);
    expect(r.code).toBe(0);
    expect(fake.joinTokens).toEqual([{ ttlSeconds: 3600, nodeName: '', replace: false, uses: 50 }]);
    expect(r.io.stderr()).toContain('for up to 50 new node names');
    const listed = await hvctl(['node', 'token', 'list']);
    expect(listed.io.stdout()).toMatch(/USES LEFT[\s\S]*\(any new\)\s+50\s/);
  });

  it.each([
    [['--uses', '2', '--node', 'host-2'], /--uses and --node do not go together/],
    [['--replace'], /--replace needs --node/],
    [['--uses', '0'], /not a count from 1 to 1000/],
    [['--uses', 'many'], /not a count from 1 to 1000/],
  ])('refuses %j before calling the controller', async (flags, message) => {
    const r = await hvctl(['node', 'token', 'create', ...flags]);
    expect(r.code).not.toBe(0);
    expect(r.io.stderr()).toMatch(message);
    expect(fake.joinTokens).toEqual([]);
  });
});
