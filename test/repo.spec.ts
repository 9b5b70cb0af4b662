import * as fs from 'node:fs';
import * as path from 'node:path';
import { FIELDS } from '../apps/controller/src/config';
import { DEFAULT_PORTS as HVCTL_PORTS } from '../apps/hvctl/src/local/state';
import { DEFAULT_DATA_DIR, DEFAULT_PORTS } from './harness/default-ports';

const root = path.join(__dirname, '..');

describe('repository', () => {
  it('has the README test command wired into .ci/run, after the README start command, with the system taken down on exit', () => {
    const ci = fs.readFileSync(path.join(root, '.ci', 'run'), 'utf8');
    const start = ci.search(/^\s*npm start\b/m);
    const test = ci.search(/^\s*npm test\b/m);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(test).toBeGreaterThan(start);
    expect(ci).toMatch(/^\s*trap\b.*\bdown\b/m);
  });
});

// Test code: every spec, fixture and harness file (not this file, nor the list of defaults itself).
function testFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!['node_modules', 'dist', 'fixtures', 'golden'].includes(e.name)) walk(p);
      } else if (/\.(ts|js)$/.test(e.name)) out.push(path.relative(root, p));
    }
  };
  for (const top of ['apps', 'libs']) for (const pkg of fs.readdirSync(path.join(root, top))) {
    const dir = path.join(root, top, pkg, 'test');
    if (fs.existsSync(dir)) walk(dir);
  }
  walk(path.join(root, 'test'));
  const mine = ['test/repo.spec.ts', 'test/harness/default-ports.ts', 'test/harness/no-default-ports.ts', 'test/harness/no-default-ports.spec.ts'];
  return out.filter((f) => !mine.includes(f)).sort();
}

const PORT = `(?:${DEFAULT_PORTS.join('|')})(?!\\d)`;
const Q = '[`\'"]';
// A default port as what something listens on: an env var or flag whose name says listen, a
// listen() call, or a default data dir handed to a process or config. Plain values elsewhere (a
// Node's advertised address in a fixture, a default asserted by a config test) are not listens.
const RULES: [string, RegExp][] = [
  ['a *LISTEN setting on a default port', new RegExp(`LISTEN\\w*${Q}?\\s*[:=]\\s*${Q}[^\`'"\\n]*:${PORT}`)],
  ['a --*listen flag on a default port', new RegExp(`--[\\w-]*listen[\\w-]*${Q}?\\s*[,= ]\\s*${Q}?[^\`'"\\s]*:${PORT}`)],
  ['listen() on a default port', new RegExp(`\\.listen\\(\\s*(?:${Q}?|\\{[^}]*\\bport:\\s*)${PORT}`)],
  ['a default port for hvctl up', new RegExp(`--ports${Q}?\\s*,\\s*${Q}(?!auto)`)],
  ['the default data dir as a data or state dir', new RegExp(`(?:DATA_DIR|STATE_DIR|--data-dir|--state-dir|dataDir)${Q}?\\s*[:=,]\\s*${Q}${DEFAULT_DATA_DIR}(?:[/\`'"])`)],
];

function offences(text: string): string[] {
  return text.split('\n').flatMap((line, i) => RULES.filter(([, re]) => re.test(line)).map(([what]) => `line ${i + 1}: ${what}: ${line.trim().slice(0, 160)}`));
}

describe('no test listens on a default port or uses the default data dir (npm start may hold them)', () => {
  it('the list of defaults is what hvctl up and the controller use', () => {
    const controller = FIELDS.filter((f) => f.key === 'grpcListen' || f.key === 'httpListen').map((f) => Number(f.defaultText.split(':').pop()));
    expect([...DEFAULT_PORTS].sort()).toEqual(Object.values(HVCTL_PORTS).sort());
    expect(DEFAULT_PORTS).toEqual(expect.arrayContaining(controller));
  });

  it('the check finds each kind of offence (so it can fail)', () => {
    for (const bad of [
      "HVS_GRPC_LISTEN: '127.0.0.1:7443',", 'env: { HVS_AGENT_LISTEN: `0.0.0.0:7450` }', "['--listen', '127.0.0.1:9450']", '--metrics-listen=127.0.0.1:9450',
      'server.listen(7480, host)', 'srv.listen({ host, port: 12379 })', "runCli(['up', '--ports', 'default'])", "HVS_DATA_DIR: '/var/lib/hvs',",
      "['--data-dir', '/var/lib/hvs/x']", "HVS_AGENT_STATE_DIR: '/var/lib/hvs/agent'",
    ]) expect(offences(bad)).toHaveLength(1);
    for (const fine of ["HVS_GRPC_LISTEN: '127.0.0.1:0'", "address: '10.0.0.5:7450'", "['--listen', '0.0.0.0:7451']", "'--ports', 'auto'", "pools: { default: '/var/lib/hvs/agent/pools/default' }"]) {
      expect(offences(fine)).toEqual([]);
    }
  });

  it('no spec, fixture or harness file does it', () => {
    const found = testFiles().flatMap((f) => offences(fs.readFileSync(path.join(root, f), 'utf8')).map((o) => `${f} ${o}`));
    expect(found).toEqual([]);
  });
});

// Calls that start or reach a real program besides ours: a spec using one is medium (or e2e,
// system, chaos), never unit (jest.tiers.js, docs/system-tests.md#test-tiers).
const REAL_PROGRAMS = ['startEtcd(', 'startRedis(', 'startMigrationEnv(', 'startTestDriverAgent(', 'startControlPlane(', 'writeTestNode(',
  'new LibvirtDriver(', 'qemuImgRunner', 'spawnTracked(', 'requireBinary(', 'new XmlScratch(', "execFileSync('openssl'"];

describe('a spec\'s tier is honest', () => {
  it('every jest project npm test runs names a known tier (jest.tiers.js), so the summary counts it', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { projects } = require('../jest.config.js') as { projects: { displayName: string }[] };
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { TIERS, tierOf } = require('../jest.tiers.js') as { TIERS: string[]; tierOf: (d: string) => string };
    const unknown = projects.map((p) => p.displayName).filter((d) => !TIERS.includes(tierOf(d)));
    expect(projects.length).toBeGreaterThan(15);
    expect(unknown).toEqual([]);
  });

  it('no unit spec (*.spec.ts outside test/e2e, system, chaos) starts or calls a real program', () => {
    const unit = testFiles().filter((f) => f.endsWith('.spec.ts') && !/\.(medium|qemu)\.spec\.ts$/.test(f) && !/^test\/(e2e|system|chaos)\//.test(f));
    expect(unit.length).toBeGreaterThan(50);
    const wrong = unit.flatMap((f) => {
      const text = fs.readFileSync(path.join(root, f), 'utf8');
      const used = REAL_PROGRAMS.filter((call) => text.includes(call));
      return used.length ? [`${f} uses ${used.join(', ')}: name it *.medium.spec.ts`] : [];
    });
    expect(wrong).toEqual([]);
  });
});

