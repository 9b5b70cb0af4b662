import { execFile } from 'node:child_process';
import type { DomainEvent, DomainEventType, DomainState, DomainStats, MigrationProgress } from './driver';

/**
 * virsh for what the binding lacks. Always execFile with an argument array (never a shell) and
 * always `-c <uri>`, so a private libvirtd is never confused with the system one.
 */
export interface VirshResult {
  stdout: string;
  stderr: string;
}

export class VirshFailure extends Error {
  constructor(
    readonly args: string[],
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = 'VirshFailure';
  }
}

export function runVirsh(uri: string, args: string[], timeoutMs = 30_000): Promise<VirshResult> {
  const argv = ['-q', '-c', uri, ...args];
  return new Promise((resolve, reject) => {
    execFile('virsh', argv, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, LC_ALL: 'C' } }, (err, stdout, stderr) => {
      if (err) {
        const text = String(stderr).trim() || err.message;
        const timedOut = (err as NodeJS.ErrnoException & { killed?: boolean }).killed ? ` (killed after ${timeoutMs} ms)` : '';
        reject(new VirshFailure(args, text + timedOut, typeof err.code === 'number' ? err.code : null));
        return;
      }
      resolve({ stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

const STATE_BY_NUMBER: DomainState[] = ['nostate', 'running', 'blocked', 'paused', 'shutdown', 'shutoff', 'crashed', 'pmsuspended'];

export function stateFromNumber(n: number): DomainState {
  return STATE_BY_NUMBER[n] ?? 'nostate';
}

/** Parses one domain's block of `virsh domstats` (`key=value` lines); sums per-disk and per-NIC counters. */
export function parseDomstats(name: string, text: string): DomainStats {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^\s*([\w.]+)=(.*)$/.exec(line);
    if (m) kv.set(m[1], m[2].trim());
  }
  const num = (k: string): number => Number(kv.get(k) ?? 0) || 0;
  const sum = (prefix: string, countKey: string, suffix: string): number => {
    let total = 0;
    for (let i = 0; i < num(countKey); i++) total += num(`${prefix}.${i}.${suffix}`);
    return total;
  };
  const balloonKiB = num('balloon.rss') || num('balloon.current');
  return {
    name,
    state: stateFromNumber(num('state.state')),
    cpuTimeNs: num('cpu.time'),
    memoryBytes: balloonKiB * 1024,
    blockRdBytes: sum('block', 'block.count', 'rd.bytes'),
    blockWrBytes: sum('block', 'block.count', 'wr.bytes'),
    netRxBytes: sum('net', 'net.count', 'rx.bytes'),
    netTxBytes: sum('net', 'net.count', 'tx.bytes'),
    detail: 'full',
  };
}

const EVENT_WORDS: Record<string, DomainEventType> = {
  Defined: 'defined',
  Undefined: 'undefined',
  Started: 'started',
  Suspended: 'suspended',
  Resumed: 'resumed',
  Stopped: 'stopped',
  Shutdown: 'shutdown',
  PMSuspended: 'pmsuspended',
  Crashed: 'crashed',
};

/**
 * Parses one line of `virsh event --all --loop --timestamp`, e.g.
 * `2025-01-01 12:00:00.123+0000: event 'lifecycle' for domain 'vm1': Started Booted`.
 * Non-lifecycle events and noise give undefined.
 */
export function parseEventLine(line: string, now: () => number = Date.now): DomainEvent | undefined {
  const m = /^(?:(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?)([+-]\d{4})?: )?event 'lifecycle' for domain '(.+)': (\w+)(?: (\w+))?\s*$/.exec(line);
  if (!m) return undefined;
  const type = EVENT_WORDS[m[4]];
  if (!type) return undefined;
  let at = now();
  if (m[1]) {
    const tz = m[2] ? `${m[2].slice(0, 3)}:${m[2].slice(3)}` : 'Z';
    const parsed = Date.parse(`${m[1].replace(' ', 'T')}${tz}`);
    if (!Number.isNaN(parsed)) at = parsed;
  }
  return { type, name: m[3], detail: m[5] ?? '', at, source: 'libvirt' };
}

const UNITS: Record<string, number> = { B: 1, bytes: 1, KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

function bytes(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const m = /^([\d.]+)\s*(\w+)?/.exec(v.trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNITS[m[2] ?? 'B'] ?? 1));
}

function ms(v: string | undefined): number | undefined {
  const m = v === undefined ? null : /^(\d+)/.exec(v.trim());
  return m ? Number(m[1]) : undefined;
}

function count(v: string | undefined): number | undefined {
  const m = v === undefined ? null : /^(\d+)/.exec(v.trim());
  return m ? Number(m[1]) : undefined;
}

/**
 * Parses `virsh domjobinfo` (human `Key: value unit` lines). Returns undefined when no job runs.
 * Disk figures are libvirt's `File *` lines (copy-storage); the dirty rate comes in pages/s.
 */
export function parseJobInfo(text: string, completed: boolean): MigrationProgress | undefined {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) kv.set(line.slice(0, i).trim(), line.slice(i + 1).trim());
  }
  const type = kv.get('Job type');
  if (!type || type === 'None') return undefined;
  const dirtyPages = count(kv.get('Dirty rate'));
  const pageSize = count(kv.get('Page size'));
  const out: MigrationProgress = {
    phase: completed ? 'completed' : 'running',
    dataTotalBytes: bytes(kv.get('Data total')),
    dataProcessedBytes: bytes(kv.get('Data processed')),
    dataRemainingBytes: bytes(kv.get('Data remaining')),
    memoryTotalBytes: bytes(kv.get('Memory total')),
    memoryProcessedBytes: bytes(kv.get('Memory processed')),
    memoryRemainingBytes: bytes(kv.get('Memory remaining')),
    diskTotalBytes: bytes(kv.get('File total')),
    diskProcessedBytes: bytes(kv.get('File processed')),
    dirtyRateBytesPerSec: dirtyPages !== undefined && pageSize !== undefined ? dirtyPages * pageSize : undefined,
    iteration: count(kv.get('Iteration')),
    bandwidthBytesPerSec: bytes(kv.get('Memory bandwidth')),
    expectedDowntimeMs: ms(kv.get('Expected downtime')),
    downtimeMs: ms(kv.get('Total downtime')),
    elapsedMs: ms(kv.get('Time elapsed')),
  };
  // Absent figures stay absent (not `undefined` keys), so samples compare and print cleanly.
  for (const k of Object.keys(out) as (keyof MigrationProgress)[]) if (out[k] === undefined) delete out[k];
  return out;
}

/** `virsh version`: "Using library: libvirt 9.0.0" and "Running hypervisor: QEMU 7.2.0". */
export function parseVersion(text: string): { libvirt?: string; qemu?: string } {
  return {
    libvirt: /Using library: libvirt ([\d.]+)/.exec(text)?.[1],
    qemu: /Running hypervisor: QEMU ([\d.]+)/.exec(text)?.[1],
  };
}
