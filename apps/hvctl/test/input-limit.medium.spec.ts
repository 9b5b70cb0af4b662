/**
 * hvctl reads a bounded amount of manifest input: a real hvctl child process given an endless
 * input (/dev/zero as a file, as standard input, and an endless pipe) stops at MAX_INPUT_BYTES
 * with HVS-CLI-INPUT-TOO-LARGE naming the limit and exits 1, instead of reading until memory
 * runs out (issue 12: 5.4 GB in 8 s before).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { MAX_INPUT_BYTES } from '@hvs/domain';

jest.setTimeout(60_000);

const root = path.resolve(__dirname, '../../..');
const script = `require(${JSON.stringify(path.join(root, 'test/harness/ts-register.js'))}); require(${JSON.stringify(path.join(root, 'apps/hvctl/src/main.ts'))}).main()`;
let home: string;
beforeEach(() => {
  home = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-input-'));
});
afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

/** Runs `hvctl ...args` from the sources in a child process; resolves with its exit code and stderr (kills it after 30 s). */
function hvctl(args: string[], stdin: 'ignore' | 'pipe' | number): { child: ChildProcess; done: Promise<{ code: number | null; stderr: string }> } {
  const child = spawn(process.execPath, ['-e', script, 'hvctl', ...args], {
    stdio: [stdin, 'ignore', 'pipe'], env: { PATH: process.env.PATH, HOME: home, HVS_CONFIG: path.join(home, 'config.yaml') },
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => child.on('close', (code) => {
    clearTimeout(timer);
    resolve({ code, stderr });
  }));
  return { child, done };
}

const TOO_LARGE = (what: string) => new RegExp(`^error: HVS-CLI-INPUT-TOO-LARGE: ${what} is larger than ${MAX_INPUT_BYTES} bytes \\(8 MiB\\).*; fix: .+\\n$`);

describe('hvctl input limit', () => {
  it.each([['apply'], ['plan']])('%s -f /dev/zero stops at the limit with HVS-CLI-INPUT-TOO-LARGE, exit 1', async (command) => {
    const r = await hvctl([command, '-f', '/dev/zero'], 'ignore').done;
    expect(r).toEqual({ code: 1, stderr: expect.stringMatching(TOO_LARGE('/dev/zero')) });
  });

  it('apply -f - with /dev/zero as standard input stops the same way', async () => {
    const zero = fs.openSync('/dev/zero', 'r');
    try {
      const r = await hvctl(['apply', '-f', '-'], zero).done;
      expect(r).toEqual({ code: 1, stderr: expect.stringMatching(TOO_LARGE('standard input')) });
    } finally {
      fs.closeSync(zero);
    }
  });

  it('apply -f - from an endless pipe reads at most the limit (plus pipe buffers) and exits 1', async () => {
    const { child, done } = hvctl(['apply', '-f', '-'], 'pipe');
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x61);
    const endless = new Readable({ read() { written += chunk.length; this.push(chunk); } });
    child.stdin!.on('error', () => undefined); // EPIPE once hvctl stopped reading: expected
    endless.pipe(child.stdin!);
    const r = await done;
    endless.unpipe();
    endless.destroy();
    expect(r).toEqual({ code: 1, stderr: expect.stringMatching(TOO_LARGE('standard input')) });
    expect(written).toBeGreaterThan(MAX_INPUT_BYTES);
    expect(written).toBeLessThan(MAX_INPUT_BYTES + 4 * 1024 * 1024);
  });
});
