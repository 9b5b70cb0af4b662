/**
 * Two libvirt "hosts" on one machine for the system tier (live migration, partitions).
 * Each host is a network namespace joined to the other by a veth pair, with its own libvirtd in
 * its own mount + UTS namespace: per-host /etc/libvirt, /var/lib/libvirt, /var/log/libvirt,
 * /var/cache/libvirt and /run are bind mounts of dirs under the run's lab dir, its own hostname
 * and host_uuid, libvirtd listening on TCP (auth none) at the namespace address, which is also
 * QEMU's migration address. Each host has a dir pool `default` at /var/lib/libvirt/images (its
 * own copy: disks there are not shared, so migrations need copy-storage).
 *
 * With `uplink: true` a switch namespace (./switch.ts) also joins the test process (root
 * namespace, at `uplink.host`) and both hosts (`uplinkAddress` on their `up0`): a controller in
 * the test process and agents running inside the hosts (`wrap()`) reach each other there, while
 * migrations still go over the A<->B veth (`tcpUri`).
 *
 * Guarantees: names are unique per run (`hvs-<run id>-a/b`); the run is recorded (netns.ts)
 * before anything exists, so `stop()`, the process 'exit' hook, or the next run's stale sweep
 * removes guests, libvirtd and QEMU processes (by PID), namespaces, veths and the lab dir.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HvsError } from '@hvs/domain';
import { requireBinary } from './binaries';
import {
  addNetns, addVethPair, processStartTime, runCommand, safeLabDir, setLink, sweepRecord, sweepStaleRuns, writeRecord,
  type CommandResult, type RunRecord,
} from './netns';
import { captureOutput, spawnTracked, stopProcess, untilHealthyOrExit } from './processes';
import { addSwitch, freeSubnet, plugIntoSwitch } from './switch';

export interface LabHost {
  /** Its hostname inside the UTS namespace, e.g. `hvs-1a2b3c4d-a`; also the netns name. */
  name: string;
  netns: string;
  /** Its end of the veth pair (inside its netns). */
  device: string;
  /** Its address on the veth link, e.g. 10.77.12.1. */
  address: string;
  /** libvirtd over its unix socket, usable from the test process (root namespace). */
  uri: string;
  /** libvirtd over TCP: reachable only from inside the other host (use as a migration target). */
  tcpUri: string;
  /** The host's private tree under the lab dir (etc, lib, log, cache, run). */
  dir: string;
  hostUuid: string;
  /** libvirtd's PID. */
  pid(): number;
  /** Where a path as this host sees it (e.g. /var/lib/libvirt/images/x.qcow2) lies in the lab. */
  pathOnHost(inner: string): string;
  /** Runs a command inside the host's network, mount and UTS namespaces. Never throws on exit codes. */
  run(cmd: string, args: string[], timeoutMs?: number): Promise<CommandResult>;
  /** The argv prefix that runs a (long-lived) command inside those namespaces, e.g. an agent. */
  wrap(): string[];
  /** Its address on the uplink switch (only with `uplink: true`). */
  uplinkAddress?: string;
}

export interface TwoHosts {
  runId: string;
  /** This run's dir (removed by stop). */
  lab: string;
  a: LabHost;
  b: LabHost;
  /** With `uplink: true`: the test process's address on the switch (listen there for the hosts). */
  uplink?: { host: string };
  /** Cuts the host off the link (`ip link set <veth> down` inside its namespace). */
  partition(host: LabHost): Promise<void>;
  heal(host: LabHost): Promise<void>;
  /** Destroys guests, stops libvirtd, removes namespaces, veths and the lab dir. Idempotent. */
  stop(): Promise<void>;
}

export interface TwoHostsOptions {
  /** Parent of the run's lab dir; must be outside /var, /etc and /run. Default /tmp/hvs-lab. */
  lab?: string;
  startTimeoutMs?: number;
  /** Also join both hosts and the test process on a switch (see above). */
  uplink?: boolean;
}

/** Host tree dir -> where it is bound inside the host's mount namespace. */
const BINDS: [string, string][] = [
  ['etc', '/etc/libvirt'],
  ['lib', '/var/lib/libvirt'],
  ['log', '/var/log/libvirt'],
  ['cache', '/var/cache/libvirt'],
  ['run', '/run'],
];

// Constant script; the host dir and hostname arrive as $1 and $2 (nothing interpolated).
const LIBVIRTD_SCRIPT = [
  'set -e',
  'hostname "$2"',
  ...BINDS.map(([dir, target]) => `mount --bind "$1/${dir}" ${target}`),
  // libvirt 9 resolves the libvirt-qemu user and kvm group even when qemu.conf says root.
  'if [ -f "$1/passwd" ]; then mount --bind "$1/passwd" /etc/passwd; mount --bind "$1/group" /etc/group; fi',
  'exec libvirtd --listen --pid-file /run/libvirtd.pid',
].join('\n');

export async function startTwoHosts(options: TwoHostsOptions = {}): Promise<TwoHosts> {
  for (const [bin, pkg] of [['ip', 'iproute2'], ['libvirtd', 'libvirt-daemon-system'], ['virsh', 'libvirt-clients'],
    ['qemu-system-x86_64', 'qemu-system-x86'], ['unshare', 'util-linux'], ['nsenter', 'util-linux']]) requireBinary(bin, pkg);
  const parent = path.resolve(options.lab ?? '/tmp/hvs-lab');
  if (!safeLabDir(parent)) {
    throw new HvsError({
      code: 'HVS-TEST-LAB-DIR', category: 'InvalidArgument',
      message: `lab dir ${parent} is inside /var, /etc or /run`,
      why: 'each host bind-mounts its own copy over those trees, so it could not see the lab (kernel, disks, logs)',
      fix: 'Pass a lab dir elsewhere, e.g. startTwoHosts({ lab: "/tmp/hvs-lab" }).',
    });
  }
  sweepStaleRuns();
  const runId = randomBytes(4).toString('hex');
  const lab = path.join(parent, `run-${runId}`);
  const subnet = randomBytes(1)[0];
  const ownerStart = processStartTime(process.pid) ?? '';
  const record: RunRecord = {
    runId, ownerPid: process.pid, ownerStart, createdAt: new Date().toISOString(),
    namespaces: [`hvs-${runId}-a`, `hvs-${runId}-b`, ...(options.uplink ? [`hvs-${runId}-sw`] : [])], labDir: lab,
  };
  writeRecord(record);
  const onExit = () => sweepRecord(record);
  process.on('exit', onExit);

  const daemons: ChildProcess[] = [];
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await Promise.all(hosts.map((h) => destroyGuests(h.uri)));
    await Promise.all(daemons.map((d) => stopProcess(d, 'SIGTERM', 5_000)));
    sweepRecord(record);
    process.off('exit', onExit);
  };

  const hosts: LabHost[] = [];
  let uplink: ((host: number) => string) | undefined;
  try {
    fs.mkdirSync(lab, { recursive: true });
    const ends = (['a', 'b'] as const).map((s, i) => ({
      suffix: s, netns: `hvs-${runId}-${s}`, device: `hvs${runId}${s}`, address: `10.77.${subnet}.${i + 1}`,
    }));
    for (const e of ends) await addNetns(e.netns);
    await addVethPair(
      { netns: ends[0].netns, device: ends[0].device, address: `${ends[0].address}/24` },
      { netns: ends[1].netns, device: ends[1].device, address: `${ends[1].address}/24` },
    );
    if (options.uplink) {
      uplink = await freeSubnet('10.78');
      const sw = `hvs-${runId}-sw`;
      await addSwitch(sw, `hu${runId}`, `${uplink(1)}/24`);
      for (const [i, e] of ends.entries()) await plugIntoSwitch(sw, `p-${e.suffix}`, e.netns, 'up0', `${uplink(10 + i)}/24`);
    }
    const needUsers = !(await hasQemuUserAndGroup());
    for (const e of ends) {
      const dir = path.join(lab, e.suffix);
      const hostUuid = randomUUID();
      writeHostTree(dir, e.address, hostUuid, needUsers);
      const child = spawnTracked('ip', ['netns', 'exec', e.netns, 'unshare', '-m', '-u', '--propagation', 'private',
        'bash', '-c', LIBVIRTD_SCRIPT, 'hvs-libvirtd', dir, e.netns]);
      daemons.push(child);
      const output = captureOutput(child);
      const uri = `qemu+unix:///system?socket=${path.join(dir, 'run/libvirt/libvirt-sock')}`;
      // `ip netns exec`, unshare and bash all exec: child.pid is libvirtd's PID.
      const host = labHost(e.netns, e.device, e.address, uri, dir, hostUuid, () => child.pid ?? -1);
      if (uplink) host.uplinkAddress = uplink(10 + hosts.length);
      hosts.push(host);
      try {
        await untilHealthyOrExit(child, async () => (await runCommand('virsh', ['-q', '-c', uri, 'uri'], 5_000)).code === 0,
          `libvirtd of ${e.netns} on ${uri}`, options.startTimeoutMs ?? 30_000);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${output()}`);
      }
      await virshOk(uri, ['pool-define-as', 'default', 'dir', '--target', '/var/lib/libvirt/images']);
      await virshOk(uri, ['pool-start', 'default']);
    }
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }

  return {
    runId, lab, a: hosts[0], b: hosts[1], stop,
    ...(uplink ? { uplink: { host: uplink(1) } } : {}),
    partition: (h) => setLink(h.netns, h.device, 'down'),
    heal: (h) => setLink(h.netns, h.device, 'up'),
  };
}

function labHost(netns: string, device: string, address: string, uri: string, dir: string, hostUuid: string, pid: () => number): LabHost {
  return {
    name: netns, netns, device, address, uri, dir, hostUuid, pid,
    tcpUri: `qemu+tcp://${address}/system`,
    pathOnHost(inner: string): string {
      const abs = path.resolve('/', inner);
      for (const [sub, target] of BINDS) {
        if (abs === target || abs.startsWith(`${target}/`)) return path.join(dir, sub, abs.slice(target.length));
      }
      return abs; // not bound: the host sees the real path
    },
    wrap: () => ['nsenter', '-t', String(pid()), '-n', '-m', '-u', '--'],
    run(cmd, args, timeoutMs) {
      if (!isAlive(pid())) return Promise.resolve({ code: -1, stdout: '', stderr: `libvirtd of ${netns} is not running` });
      return runCommand('nsenter', ['-t', String(pid()), '-n', '-m', '-u', '--', cmd, ...args], timeoutMs);
    },
  };
}

function writeHostTree(dir: string, address: string, hostUuid: string, needUsers: boolean): void {
  for (const sub of ['etc', 'lib/qemu', 'lib/images', 'log/qemu', 'cache', 'run']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  fs.writeFileSync(path.join(dir, 'etc/libvirtd.conf'), [
    'listen_tls = 0', 'listen_tcp = 1', `listen_addr = "${address}"`, 'auth_tcp = "none"', 'auth_unix_rw = "none"',
    'unix_sock_group = "root"', `host_uuid = "${hostUuid}"`, 'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"', '',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'etc/qemu.conf'), [
    'user = "root"', 'group = "root"', 'dynamic_ownership = 0', 'remember_owner = 0', 'security_driver = "none"',
    'cgroup_controllers = [ ]', 'namespaces = [ ]', 'stdio_handler = "file"',
    // Must not be a loopback address: the source QEMU connects to it from the other namespace.
    `migration_address = "${address}"`, `migration_host = "${address}"`, '',
  ].join('\n'));
  if (needUsers) {
    const passwd = fs.readFileSync('/etc/passwd', 'utf8');
    const group = fs.readFileSync('/etc/group', 'utf8');
    fs.writeFileSync(path.join(dir, 'passwd'), `${passwd.trimEnd()}\n${/^libvirt-qemu:/m.test(passwd) ? '' : 'libvirt-qemu:x:64055:64055::/var/lib/libvirt:/usr/sbin/nologin\n'}`);
    fs.writeFileSync(path.join(dir, 'group'), `${group.trimEnd()}\n${/^kvm:/m.test(group) ? '' : 'kvm:x:64055:\n'}${/^libvirt-qemu:/m.test(group) ? '' : 'libvirt-qemu:x:64056:\n'}`);
  }
}

async function hasQemuUserAndGroup(): Promise<boolean> {
  return (await runCommand('getent', ['passwd', 'libvirt-qemu'])).code === 0 && (await runCommand('getent', ['group', 'kvm'])).code === 0;
}

async function virshOk(uri: string, args: string[]): Promise<void> {
  const r = await runCommand('virsh', ['-q', '-c', uri, ...args]);
  if (r.code !== 0) throw new Error(`virsh ${args.join(' ')} on ${uri} failed: ${r.stderr.trim()}`);
}

/** Best effort: a dead libvirtd leaves its QEMUs to the namespace sweep. */
async function destroyGuests(uri: string): Promise<void> {
  const r = await runCommand('virsh', ['-q', '-c', uri, 'list', '--all', '--name'], 10_000);
  if (r.code !== 0) return;
  for (const name of r.stdout.split('\n').map((s) => s.trim()).filter(Boolean)) {
    await runCommand('virsh', ['-q', '-c', uri, 'destroy', name], 10_000);
    await runCommand('virsh', ['-q', '-c', uri, 'undefine', name, '--nvram'], 10_000);
  }
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
