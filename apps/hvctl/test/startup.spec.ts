/**
 * Start-up cost (docs/hvctl.md, Start-up): commands that never call the controller must not
 * load @grpc/grpc-js, the generated proto code (@hvs/proto) or zod (the schemas behind
 * @hvs/domain's index); `version` and `--help` not even yaml. Each case runs the CLI in a
 * fresh module registry and counts first loads of those packages; `get` against an unreachable
 * controller must load grpc and proto, so the probe can fail.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fakeIo } from './fake-io';

const WATCHED = ['@grpc/grpc-js', '@hvs/proto', 'zod', 'yaml'] as const;
type Watched = (typeof WATCHED)[number];
const loads = new Map<Watched, number>();

beforeAll(() => {
  for (const m of WATCHED) {
    jest.doMock(m, () => {
      loads.set(m, (loads.get(m) ?? 0) + 1);
      return jest.requireActual(m);
    });
  }
});
afterAll(() => {
  for (const m of WATCHED) jest.dontMock(m);
});

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-startup-'));
  loads.clear();
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs hvctl in a fresh module registry; returns the exit code, stdout and which watched packages were loaded. */
async function run(argv: string[]): Promise<{ code: number; out: string; loaded: Watched[] }> {
  const io = fakeIo({ env: { HOME: tmp, HVS_CONFIG: path.join(tmp, 'config.yaml') } });
  let code = -1;
  await jest.isolateModulesAsync(async () => {
    const { runCli } = await import('../src/cli.js');
    code = await runCli(argv, io);
  });
  return { code, out: io.stdout() + io.stderr(), loaded: WATCHED.filter((m) => (loads.get(m) ?? 0) > 0) };
}

function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

describe('what a command loads', () => {
  it.each([
    [['version']],
    [['--help']],
    [['apply', '--help']],
    [['completion', 'bash']],
    [['user', 'create', '--help']],
    [['token', '--help']],
    [['auth', 'can-i', '--help']],
    [['help', 'user', 'delete']],
  ])('hvctl %j loads none of grpc, proto, zod, yaml', async (argv) => {
    const r = await run(argv);
    expect(r.code).toBe(0);
    expect(r.out).not.toBe('');
    expect(r.loaded).toEqual([]);
  });

  it.each([[['nosuchverb', '--help']], [['get', 'vms', '--nosuchflag']]])('an unknown verb or flag (hvctl %j) is reported before anything heavy loads', async (argv) => {
    const r = await run(argv);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^error: HVS-CLI-UNKNOWN-(COMMAND|FLAG): /);
    expect(r.loaded).toEqual([]);
  });

  it('config commands read and write the contexts file (yaml) without grpc, proto or zod', async () => {
    let r = await run(['config', 'set-context', 'lab', '--controller', '10.0.0.5:7443', '--use']);
    expect(r.code).toBe(0);
    expect(r.loaded).toEqual(['yaml']);
    r = await run(['config', 'get-contexts']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('10.0.0.5:7443');
    expect(r.loaded).toEqual(['yaml']);
    r = await run(['config', 'current-context']);
    expect(r.out).toBe('lab\n');
    expect(r.loaded).toEqual(['yaml']);
  });

  it('a usage error in a controller command is reported before anything heavy loads', async () => {
    const r = await run(['get']);
    expect(r.code).toBe(1);
    expect(r.out).toContain("missing required argument 'kind'");
    expect(r.loaded).toEqual([]);
  });

  it('get against an unreachable controller loads grpc and the proto code (the probe sees them)', async () => {
    const r = await run(['--server', `127.0.0.1:${await closedPort()}`, 'get', 'vms']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('HVS-CLI-CONTROLLER-UNREACHABLE');
    expect(r.loaded).toEqual(expect.arrayContaining(['@grpc/grpc-js', '@hvs/proto', 'zod']));
  });
});

describe('one copy of yaml', () => {
  // hvctl parses manifests through @hvs/domain and prints YAML itself: when npm nests a copy
  // under each workspace (the root once held yaml 1.x for nx's tooling), `apply` loads its ~70
  // modules twice. The root package.json pins yaml 2 so npm hoists one copy for both.
  it('hvctl and @hvs/domain resolve yaml to the same file', () => {
    const root = path.resolve(__dirname, '../../..');
    const fromHvctl = require.resolve('yaml', { paths: [path.join(root, 'apps/hvctl')] });
    const fromDomain = require.resolve('yaml', { paths: [path.join(root, 'libs/domain')] });
    expect(fromHvctl).toBe(fromDomain);
  });
});
