/**
 * Single-host supervisor pieces that need no controller: real etcd and redis-server started
 * as detached processes in a temp data dir, probed, found again by a second `up`, restarted
 * when one died, and stopped by PID. Every process started is killed in afterEach even when
 * a test fails.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { HvsError } from '@hvs/domain';
import { runCli } from '../src/cli';
import { defaultDataDir } from '../src/commands/local';
import { chooseHypervisor, hypervisorForAgent, simulatedBanner } from '../src/local/hypervisor';
import { etcdHealthy, redisPing } from '../src/local/health';
import { isOurs, procStartTime, stopProcess } from '../src/local/procs';
import { childEnv, componentSpecs, LOCAL_ETCD_MAX_TXN_OPS } from '../src/local/components';
import { etcdTlsFiles } from '../src/local/etcd-tls-files';
import { DEFAULT_PORTS, readState, writeState } from '../src/local/state';
import { downLocal, statusLocal, upLocal, type LocalOptions } from '../src/local/supervisor';
import { fakeIo } from './fake-io';
import { TestCa } from '../../../libs/pki/test/support';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
let dataDir: string;
const pids = new Set<number>();

function alive(pid: number): boolean {
  return procStartTime(pid) !== undefined;
}

function opts(extra: Partial<LocalOptions> = {}): LocalOptions {
  return { dataDir, io: fakeIo({ env: process.env }), components: ['etcd', 'redis'], autoPorts: true, stopGraceMs: 5_000, ...extra };
}

function remember(): void {
  for (const r of Object.values(readState(dataDir)?.components ?? {})) if (r) pids.add(r.pid);
}

beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-up-'));
});

afterEach(() => {
  remember();
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  pids.clear();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

async function untilDead(pid: number): Promise<boolean> {
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && alive(pid)) await sleep(20);
  return !alive(pid);
}

describe('hvctl up/down with etcd and redis', () => {
  it('starts both healthy, a second up is a no-op, a dead one is restarted alone, down stops everything by PID', async () => {
    const first = await upLocal(opts());
    remember();
    expect(first.alreadyRunning).toBe(false);
    expect(first.started).toEqual(['etcd', 'redis']);
    const { ports } = first.state;
    expect(await etcdHealthy(ports.etcdClient, etcdTlsFiles(dataDir))).toBe(true);
    expect(await redisPing(ports.redis)).toBe(true);
    const etcdPid = first.state.components.etcd!.pid;
    const redisPid = first.state.components.redis!.pid;
    expect(alive(etcdPid) && alive(redisPid)).toBe(true);
    expect(fs.existsSync(path.join(dataDir, 'logs/etcd.log'))).toBe(true);
    expect(fs.readFileSync(path.join(dataDir, 'redis/redis.conf'), 'utf8')).toContain(`port ${ports.redis}\nbind 127.0.0.1`);

    const second = await upLocal(opts());
    expect(second.alreadyRunning).toBe(true);
    expect(second.started).toEqual([]);
    expect(readState(dataDir)!.components.etcd!.pid).toBe(etcdPid);

    process.kill(redisPid, 'SIGKILL');
    expect(await untilDead(redisPid)).toBe(true);
    const st = await statusLocal(opts());
    expect(st.components.map((c) => [c.name, c.state])).toEqual([['etcd', 'healthy'], ['redis', 'stopped']]);

    const third = await upLocal(opts());
    remember();
    expect(third.started).toEqual(['redis']);
    expect(third.state.ports).toEqual(ports);
    expect(third.state.components.etcd!.pid).toBe(etcdPid);
    const newRedis = third.state.components.redis!.pid;
    expect(newRedis).not.toBe(redisPid);
    expect(await redisPing(ports.redis)).toBe(true);

    const stopped = await downLocal(opts());
    expect(stopped.map((s) => [s.name, s.result])).toEqual([['redis', 'exited'], ['etcd', 'exited']]);
    expect(alive(etcdPid)).toBe(false);
    expect(alive(newRedis)).toBe(false);
    expect(fs.existsSync(path.join(dataDir, 'state.json'))).toBe(false);
    expect((await statusLocal(opts())).components).toEqual([]);
    expect(await downLocal(opts())).toEqual([]);
  });

  it('a port in use is refused before anything starts, naming the port and the process holding it', async () => {
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as net.AddressInfo).port;
    try {
      const err = await upLocal(opts({ autoPorts: false, ports: { redis: port } })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(HvsError);
      const p = (err as HvsError).problems.find((x) => x.message.includes(String(port)));
      expect(p).toBeDefined();
      expect(p!.code).toBe('HVS-UP-PORT-IN-USE');
      expect(p!.message).toContain(`port ${port} (redis) on 127.0.0.1 is already in use by pid ${process.pid}`);
      expect(p!.fix).toMatch(/--redis-port N.*--ports auto/);
      expect(readState(dataDir)).toBeUndefined();
    } finally {
      holder.close();
    }
  });

  it('when a later component cannot start, the ones this up started are stopped again', async () => {
    fs.writeFileSync(path.join(dataDir, 'redis'), 'a file where redis wants its folder');
    let etcdPid = 0;
    const o = opts();
    const err = await upLocal({ ...o, io: { ...o.io, err: (t: string) => {
      const m = /^etcd +started +pid (\d+)/.exec(t);
      if (m) pids.add((etcdPid = Number(m[1])));
    } } }).catch((e: unknown) => e);
    expect((err as HvsError).code).toBe('HVS-UP-REDIS-PREPARE-FAILED');
    expect(etcdPid).toBeGreaterThan(0);
    expect(await untilDead(etcdPid)).toBe(true);
    expect(readState(dataDir)!.components).toEqual({});
  });

  it('explains a data dir that cannot be written, a missing etcd binary and a missing build', async () => {
    let err = await upLocal(opts({ dataDir: '/dev/null/hvs' })).catch((e: unknown) => e);
    expect((err as HvsError).code).toBe('HVS-UP-DATA-DIR-NOT-WRITABLE');
    expect((err as HvsError).fix).toContain('--data-dir');

    err = await upLocal(opts({ io: fakeIo({ env: { PATH: '/nonexistent' } }) })).catch((e: unknown) => e);
    expect((err as HvsError).problems.map((p) => p.code)).toEqual(['HVS-UP-ETCD-MISSING', 'HVS-UP-REDIS-MISSING']);
    expect((err as HvsError).fix).toContain('apt-get install -y etcd-server');

    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-repo-'));
    try {
      err = await upLocal(opts({ components: ['controller'], repoRoot: repo })).catch((e: unknown) => e);
      expect((err as HvsError).code).toBe('HVS-UP-NOT-BUILT');
      expect((err as HvsError).message).toContain('apps/controller/dist/main.js');
      expect((err as HvsError).fix).toContain('npm run build');
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });
});

describe('process identity', () => {
  it('never signals a PID whose start time does not match the record', async () => {
    const child = spawn('sleep', ['30'], { detached: true, stdio: 'ignore' });
    pids.add(child.pid!);
    const real = procStartTime(child.pid!)!;
    expect(isOurs(child.pid!, real)).toBe(true);
    expect(await stopProcess({ pid: child.pid!, startTime: `${real}0` }, 1_000, sleep)).toBe('absent');
    expect(alive(child.pid!)).toBe(true);
    expect(await stopProcess({ pid: child.pid!, startTime: real }, 1_000, sleep)).toBe('exited');
    expect(await untilDead(child.pid!)).toBe(true);
  });
});

describe('hypervisor choice and data dir defaults', () => {
  const probes = (kvm: boolean, libvirtd: boolean) => ({ kvmUsable: async () => kvm, libvirtdReachable: () => Promise.resolve(libvirtd) });

  it('KVM usable -> kvm; libvirtd without KVM -> qemu; nothing -> test driver with a banner', async () => {
    expect((await chooseHypervisor('auto', probes(true, true))).mode).toBe('kvm');
    expect((await chooseHypervisor('auto', probes(false, true))).mode).toBe('qemu');
    const t = await chooseHypervisor('auto', probes(true, false));
    expect(t).toMatchObject({ mode: 'test', agentUri: 'auto' });
    expect(simulatedBanner(t)).toMatch(/VMs are SIMULATED[\s\S]*apt-get install libvirt-daemon-system/);
    expect(simulatedBanner(await chooseHypervisor('auto', probes(false, true)))).toBeUndefined();
    expect(await chooseHypervisor('test', probes(true, true))).toMatchObject({ mode: 'test', agentUri: 'test:///default' });
    expect(await chooseHypervisor('kvm', probes(false, true))).toMatchObject({ mode: 'qemu', agentUri: 'qemu:///system' });
  });

  it('repairing a running system without --hypervisor keeps the recorded choice (pinned), probing nothing', async () => {
    const probed: string[] = [];
    const counting = { kvmUsable: async () => (probed.push('kvm'), true), libvirtdReachable: () => (probed.push('libvirtd'), Promise.resolve(true)) };
    const node = path.join(dataDir, 'test-node.xml');
    const simulated = { mode: 'test', uri: 'auto', reason: 'no libvirtd answers on qemu:///system' };
    expect(await hypervisorForAgent('auto', simulated, true, node, counting)).toMatchObject({ mode: 'test', agentUri: 'auto' });
    fs.writeFileSync(node, '<node/>');
    const kept = await hypervisorForAgent('auto', simulated, true, node, counting);
    expect(kept).toMatchObject({ mode: 'test', agentUri: `test://${node}`, reason: expect.stringContaining('no libvirtd answers') });
    expect((await hypervisorForAgent('auto', { ...simulated, reason: kept.reason }, true, node, counting)).reason).toBe(kept.reason);
    expect(await hypervisorForAgent('auto', { mode: 'qemu', uri: 'auto', reason: 'r' }, true, node, counting)).toMatchObject({ mode: 'qemu', agentUri: 'qemu:///system' });
    expect(await hypervisorForAgent('auto', { mode: 'test', uri: 'test:///default', reason: '--hypervisor test' }, true, node, counting)).toMatchObject({ agentUri: 'test:///default' });
    expect(probed).toEqual([]);
    // Nothing alive, or an explicit wish: chosen afresh.
    expect(await hypervisorForAgent('auto', simulated, false, node, counting)).toMatchObject({ mode: 'kvm' });
    expect(await hypervisorForAgent('qemu', simulated, true, node, counting)).toMatchObject({ mode: 'qemu', agentUri: 'qemu:///system' });
    expect(probed.length).toBe(4);
  });

  it('up restarting a dead agent next to a live etcd records the kept hypervisor, not a new probe', async () => {
    const first = await upLocal(opts({ components: ['etcd'] }));
    remember();
    const simulated = { mode: 'test', uri: 'auto', reason: 'no libvirtd answers on qemu:///system' };
    writeState({ ...first.state, hypervisor: simulated });
    fs.mkdirSync(path.join(dataDir, 'agent'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'agent', 'test-node.xml'), '<node/>');
    const repo = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-repo-'));
    try {
      fs.mkdirSync(path.join(repo, 'apps/node-agent/dist'), { recursive: true });
      fs.writeFileSync(path.join(repo, 'apps/node-agent/dist/main.js'), 'process.exit(3)\n'); // an agent that dies at once
      const probes = { kvmUsable: () => { throw new Error('probed'); }, libvirtdReachable: () => Promise.reject(new Error('probed')) };
      const err = await upLocal(opts({ components: ['etcd', 'agent'], repoRoot: repo, hypervisorProbes: probes, joinToken: () => Promise.resolve('t') })).catch((e: unknown) => e);
      expect((err as HvsError).code).toBe('HVS-UP-AGENT-EXITED');
      expect(readState(dataDir)!.hypervisor).toMatchObject({ mode: 'test', uri: `test://${path.join(dataDir, 'agent', 'test-node.xml')}` });
      expect(readState(dataDir)!.components.etcd!.pid).toBe(first.state.components.etcd!.pid);
    } finally {
      fs.rmSync(repo, { recursive: true, force: true });
    }
  });

  it('data dir: /var/lib/hvs for root, else $XDG_DATA_HOME/hvs or ~/.local/share/hvs', () => {
    expect(defaultDataDir({ HOME: '/root' }, 0)).toBe('/var/lib/hvs');
    expect(defaultDataDir({ HOME: '/home/a' }, 1000)).toBe('/home/a/.local/share/hvs');
    expect(defaultDataDir({ HOME: '/home/a', XDG_DATA_HOME: '/d' }, 1000)).toBe('/d/hvs');
  });
});

describe('component environments', () => {
  it('children get no hvctl settings, but the agent gets HVS_AGENT_WORKERS and a libuv pool larger than its 8 workers', () => {
    const base = childEnv({ PATH: '/bin', HVS_CONFIG: '/x/hvctl.yaml', HVS_CONTEXT: 'c', HVS_AGENT_WORKERS: '12' });
    expect(base).toEqual({ PATH: '/bin', HVS_AGENT_WORKERS: '12' });
    const input = { dataDir, ports: DEFAULT_PORTS, agentUri: 'auto', nodeName: 'n1', repoRoot: '/repo', nodeRegistered: () => Promise.resolve(true as const), joinToken: () => Promise.resolve('t') };
    expect(componentSpecs({ ...input, baseEnv: base }).agent.env).toMatchObject({ HVS_AGENT_WORKERS: '12', UV_THREADPOOL_SIZE: '12' });
    expect(componentSpecs({ ...input, baseEnv: { ...base, UV_THREADPOOL_SIZE: '64' } }).agent.env.UV_THREADPOOL_SIZE).toBe('64');
  });
});

describe('single-host etcd limits', () => {
  it('etcd gets --max-txn-ops and 8 MiB requests, and the controller is told the same op limit (one apply = one transaction)', () => {
    const specs = componentSpecs({ dataDir, ports: DEFAULT_PORTS, agentUri: 'auto', nodeName: 'n1', repoRoot: '/repo', nodeRegistered: () => Promise.resolve(true as const), joinToken: () => Promise.resolve('t'), baseEnv: {} });
    const flag = (name: string) => specs.etcd.args[specs.etcd.args.indexOf(name) + 1];
    expect(flag('--max-txn-ops')).toBe(String(LOCAL_ETCD_MAX_TXN_OPS));
    expect(flag('--max-request-bytes')).toBe(String(8 * 1024 * 1024));
    expect(specs.controller.env.HVS_ETCD_MAX_TXN_OPS).toBe(flag('--max-txn-ops'));
    expect(LOCAL_ETCD_MAX_TXN_OPS).toBeGreaterThan(128);
  });
});

describe('hvctl up/status/down as commands', () => {
  it('wire the supervisor: up prints each component, status exits 0 then 1 after down, down stops by PID', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'hvctl-home-'));
    const env = { ...process.env, HOME: home };
    try {
      let io = fakeIo({ env });
      expect(await runCli(['up', '--data-dir', dataDir, '--ports', 'auto', '--components', 'etcd,redis'], io)).toBe(0);
      remember();
      expect(io.stderr()).toMatch(/^etcd +started +pid \d+ +https:\/\/127\.0\.0\.1:\d+ +healthy in [\d.]+s\nredis +started +pid \d+ +redis:\/\/127\.0\.0\.1:\d+ +healthy in /);
      expect(io.stdout()).toMatch(/^COMPONENT +PID +ADDRESS +STATUS +DETAIL\netcd +\d+ +https:\/\/127\.0\.0\.1:\d+ +healthy\nredis +\d+ +redis:\/\/127\.0\.0\.1:\d+ +healthy\n$/);
      // Without the controller no context is written.
      expect(fs.existsSync(path.join(home, '.config/hvs/config.yaml'))).toBe(false);
      io = fakeIo({ env });
      expect(await runCli(['up', '--data-dir', dataDir, '--components', 'etcd,redis'], io)).toBe(0);
      expect(io.stderr()).toContain(`Already running in ${dataDir}: nothing to do.`);
      expect(await runCli(['status', '--data-dir', dataDir], fakeIo({ env }))).toBe(0);
      const recorded = Object.values(readState(dataDir)!.components).map((r) => r!.pid);
      io = fakeIo({ env });
      expect(await runCli(['down', '--data-dir', dataDir], io)).toBe(0);
      expect(io.stdout()).toMatch(/^redis +pid \d+ +stopped\netcd +pid \d+ +stopped\n$/);
      for (const pid of recorded) expect(alive(pid)).toBe(false);
      io = fakeIo({ env });
      expect(await runCli(['status', '--data-dir', dataDir], io)).toBe(1);
      expect(io.stderr()).toContain('Not running');
    } finally {
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('hvctl down --stop-vms', () => {
  it('when the VMs cannot be stopped it says so, still stops the components, and exits 1', async () => {
    const dead = { pid: 999_999, startTime: 'gone', startedAt: '2026-01-01T00:00:00Z', log: '/dev/null' };
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    fs.writeFileSync(path.join(dataDir, 'state.json'), JSON.stringify({ dataDir, ports: { controllerGrpc: closed }, components: { controller: dead, agent: dead } }));
    // The local context trusts the CA the controller wrote into its data dir.
    fs.mkdirSync(path.join(dataDir, 'controller', 'pki'), { recursive: true });
    fs.writeFileSync(path.join(dataDir, 'controller', 'pki', 'ca.crt'), (await TestCa.create()).pem);
    const io = fakeIo({ env: { ...process.env, HOME: dataDir } });
    expect(await runCli(['down', '--data-dir', dataDir, '--stop-vms'], io)).toBe(1);
    expect(io.stderr()).toContain(`could not stop the VMs (they keep running): error: HVS-CLI-CONTROLLER-UNREACHABLE: cannot reach controller at 127.0.0.1:${closed}`);
    expect(io.stdout()).toMatch(/^agent +pid 999999 +was not running\ncontroller +pid 999999 +was not running\n$/);
    expect(readState(dataDir)).toBeUndefined();
  });
});
