/**
 * Network namespaces for the network medium tests, on the shared harness (test/harness/netns.ts):
 * each run's namespaces are recorded before they exist, and swept (every process inside them,
 * e.g. dnsmasq, killed by pid; the namespaces and their veths deleted; the lab dir removed) on
 * close, on process exit, or by the next run when this one was killed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireBinary } from '../../../../../test/harness/binaries';
import { addNetns, mustRun, netnsUsableSync, processStartTime, runCommand, sweepRecord, sweepStaleRuns, writeRecord, type RunRecord } from '../../../../../test/harness/netns';

export const netnsGate = netnsUsableSync();

export const PROBE = join(__dirname, 'probe.py');

export class NetLab {
  private readonly children: ChildProcess[] = [];

  private constructor(private readonly record: RunRecord, private readonly onExit: () => void) {}

  static async create(suffixes: string[]): Promise<NetLab> {
    // Missing tools fail every case saying what to install (`npm test` installs them), never skip.
    for (const [bin, pkg] of [['dnsmasq', 'dnsmasq-base'], ['nft', 'nftables'], ['bridge', 'iproute2'], ['python3', 'python3']] as const) requireBinary(bin, pkg);
    sweepStaleRuns();
    const runId = randomBytes(4).toString('hex');
    const labDir = join(tmpdir(), `hvs-netlab-${runId}`);
    const record: RunRecord = {
      runId, ownerPid: process.pid, ownerStart: processStartTime(process.pid) ?? '', createdAt: new Date().toISOString(),
      namespaces: suffixes.map((s) => `hvs-${runId}-${s}`), labDir,
    };
    writeRecord(record);
    const onExit = () => sweepRecord(record);
    process.once('exit', onExit);
    const lab = new NetLab(record, onExit);
    mkdirSync(labDir, { recursive: true, mode: 0o700 });
    for (const ns of record.namespaces) await addNetns(ns);
    return lab;
  }

  ns(suffix: string): string {
    return `hvs-${this.record.runId}-${suffix}`;
  }

  get dir(): string {
    return this.record.labDir;
  }

  /** A "guest": a veth whose one end (with `mac`) is in `guestNs`, the other a port of `bridge` in `nodeNs`. */
  async plugGuest(nodeNs: string, bridge: string, guestNs: string, dev: string, mac: string): Promise<void> {
    await mustRun('ip', ['link', 'add', dev, 'netns', guestNs, 'type', 'veth', 'peer', 'name', `${dev}p`, 'netns', nodeNs]);
    await mustRun('ip', ['-n', nodeNs, 'link', 'set', `${dev}p`, 'master', bridge, 'up']);
    await mustRun('ip', ['-n', guestNs, 'link', 'set', dev, 'address', mac, 'up']);
  }

  /** Runs a command inside `ns`; a non-zero exit is a result. */
  exec(ns: string, argv: string[], timeoutMs?: number) {
    return runCommand('ip', ['netns', 'exec', ns, ...argv], timeoutMs);
  }

  async dhcpOffer(guestNs: string, dev: string, mac: string, timeoutS: number): Promise<string> {
    return (await mustRun('ip', ['netns', 'exec', guestNs, 'python3', PROBE, 'dhcp', dev, mac, String(timeoutS)], (timeoutS + 10) * 1000)).trim();
  }

  /** A full DISCOVER/OFFER/REQUEST/ACK: the ACKed address ("none"); dnsmasq records the lease. */
  async dhcpLease(guestNs: string, dev: string, mac: string, hostname: string, timeoutS = 5): Promise<string> {
    return (await mustRun('ip', ['netns', 'exec', guestNs, 'python3', PROBE, 'dhcp-lease', dev, mac, String(timeoutS), hostname], (timeoutS + 10) * 1000)).trim();
  }

  async dnsA(ns: string, server: string, name: string): Promise<string> {
    return (await mustRun('ip', ['netns', 'exec', ns, 'python3', PROBE, 'dns', server, name, '3'], 15_000)).trim();
  }

  /** ICMP echoes (payload `size` bytes, never fragmented) from `ns`; how many came back. */
  async ping(ns: string, dst: string, count: number, size = 56): Promise<number> {
    const out = await mustRun('ip', ['netns', 'exec', ns, 'python3', PROBE, 'ping', dst, String(count), String(size)], (count * 2 + 10) * 1000);
    return Number(/received (\d+)/.exec(out)?.[1] ?? -1);
  }

  /** A UDP server in `ns` that answers each datagram with the sender's address (killed on close). */
  async serveWhoami(ns: string, port: number): Promise<void> {
    const child = spawn('ip', ['netns', 'exec', ns, 'python3', PROBE, 'serve-whoami', String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.children.push(child);
    await new Promise<void>((resolve, reject) => {
      child.stdout!.once('data', () => resolve());
      child.once('exit', (c) => reject(new Error(`whoami server in ${ns} exited ${c}`)));
    });
  }

  /** The address `dst:port` saw a datagram from `ns` come from ("none" without an answer). */
  async whoami(ns: string, dst: string, port: number, timeoutS = 3): Promise<string> {
    return (await mustRun('ip', ['netns', 'exec', ns, 'python3', PROBE, 'whoami', dst, String(port), String(timeoutS)], (timeoutS + 10) * 1000)).trim();
  }

  close(): void {
    for (const c of this.children) c.kill('SIGKILL');
    process.removeListener('exit', this.onExit);
    sweepRecord(this.record);
  }
}
