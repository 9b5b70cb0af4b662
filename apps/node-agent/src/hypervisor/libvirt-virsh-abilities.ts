import { spawn } from 'node:child_process';
import { HvsError, type ErrorCategory } from '@hvs/domain';
import type { Clock } from '@hvs/reconcile';
import type { MigrateOptions, MigrationProgress, SnapshotInfo } from './driver';
import { messageOf } from './errors';
import { parseJobInfo, runVirsh, type VirshResult } from './virsh';

/** Runs one virsh command for the driver (observed, errors mapped to HvsError). */
export type VirshRunner = (args: string[], op: string, timeoutMs?: number) => Promise<VirshResult>;

export interface MigrationContext {
  /** virsh against the source libvirtd. */
  virsh: VirshRunner;
  clock: Clock;
  sourceUri: string;
}

/** How long to wait, after `virsh migrate` returned, for the source's job-completed event. */
const COMPLETED_EVENT_GRACE_MS = 3_000;

/** `virsh migrate` arguments for the options (defaults: live, persistent, undefine source). */
export function migrateArgs(name: string, destUri: string, opts: MigrateOptions): string[] {
  const args = ['migrate', '--p2p', '--verbose'];
  if (opts.live !== false) args.push('--live');
  if (opts.persistent !== false) args.push('--persistent');
  if (opts.undefineSource !== false) args.push('--undefinesource');
  if (opts.copyStorage) args.push('--copy-storage-all');
  if (opts.autoConverge) args.push('--auto-converge');
  if (opts.postCopy) args.push('--postcopy', '--postcopy-after-precopy');
  if (opts.timeoutSeconds !== undefined) args.push('--timeout', String(opts.timeoutSeconds));
  if (opts.bandwidthMiBs !== undefined) args.push('--bandwidth', String(opts.bandwidthMiBs));
  if (opts.parallelConnections !== undefined && opts.parallelConnections > 1) {
    args.push('--parallel', '--parallel-connections', String(opts.parallelConnections));
  }
  args.push(name, destUri);
  return args;
}

/**
 * Peer-to-peer migration through `virsh migrate --p2p` (the source libvirtd dials destUri),
 * sampling `virsh domjobinfo` on the source while it runs. Yields 'running' samples, then one
 * 'completed' whose figures (downtime, totals) come from the source's job-completed event,
 * which `virsh event` listens for from before the migration starts, because with
 * --undefinesource the source keeps no domain to ask afterwards; when that event is missed, from
 * `domjobinfo --completed` at the target (opts.statsUri ?? destUri). Throws HVS-LIBVIRT-MIGRATE-*.
 * A consumer that stops iterating early does not abort the migration: it runs to its end.
 */
export async function* migrateWithVirsh(
  ctx: MigrationContext, name: string, destUri: string, opts: MigrateOptions,
): AsyncGenerator<MigrationProgress> {
  const fail = (e: unknown) => migrationError(e, name, ctx.sourceUri, destUri);
  if (opts.maxDowntimeMs !== undefined) {
    await ctx.virsh(['migrate-setmaxdowntime', name, '--downtime', String(opts.maxDowntimeMs)], 'migrate-setmaxdowntime').catch((e) => {
      throw fail(e);
    });
  }
  const completedEvent = listenForJobCompleted(ctx.sourceUri, name);
  try {
    let settled = false;
    let failure: unknown;
    const job = ctx.virsh(migrateArgs(name, destUri, opts), 'migrate', 24 * 3600 * 1000).then(
      () => (settled = true),
      (e) => {
        failure = e;
        settled = true;
      },
    );
    while (!settled) {
      const sample = await ctx.virsh(['domjobinfo', name], 'domjobinfo').then((r) => parseJobInfo(r.stdout, false), () => undefined);
      if (sample && !settled) yield sample;
      if (!settled) await Promise.race([job, ctx.clock.sleep(opts.pollMs ?? 500)]);
    }
    if (failure) throw fail(failure);
    const figures = (await completedEvent.within(COMPLETED_EVENT_GRACE_MS))
      ?? (await runVirsh(opts.statsUri ?? destUri, ['domjobinfo', name, '--completed']).then((r) => parseJobInfo(r.stdout, true), () => undefined));
    yield { ...figures, phase: 'completed' };
  } finally {
    completedEvent.stop();
  }
}

/** One `virsh event --event job-completed` child for the domain; `result` is undefined if it ends without one. */
function listenForJobCompleted(uri: string, name: string): { within(ms: number): Promise<MigrationProgress | undefined>; stop(): void } {
  // --timeout: an agent that dies mid-migration must not leave this child waiting forever.
  const child = spawn('virsh', ['-q', '-c', uri, 'event', '--domain', name, '--event', 'job-completed', '--timeout', '86400'], {
    stdio: ['ignore', 'pipe', 'ignore'],
    env: { ...process.env, LC_ALL: 'C' },
  });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  const result = new Promise<MigrationProgress | undefined>((resolve) => {
    child.once('error', () => resolve(undefined));
    child.once('close', () => resolve(parseJobCompletedEvent(out)));
  });
  return {
    within: async (ms: number) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
      try {
        return await Promise.race([result, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    stop: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}

/**
 * Parses virsh's print of a job-completed event (`\tkey: value` lines of libvirt's typed job
 * parameters: bytes, ms, pages/s). Undefined when the text holds no such event.
 */
export function parseJobCompletedEvent(text: string): MigrationProgress | undefined {
  if (!/event 'job-completed'/.test(text)) return undefined;
  const kv = new Map<string, number>();
  for (const m of text.matchAll(/^\s+(\w+): (-?\d+)\s*$/gm)) kv.set(m[1], Number(m[2]));
  const dirty = kv.get('memory_dirty_rate');
  const page = kv.get('memory_page_size');
  const out: MigrationProgress = {
    phase: 'completed',
    dataTotalBytes: kv.get('data_total'),
    dataProcessedBytes: kv.get('data_processed'),
    dataRemainingBytes: kv.get('data_remaining'),
    memoryTotalBytes: kv.get('memory_total'),
    memoryProcessedBytes: kv.get('memory_processed'),
    memoryRemainingBytes: kv.get('memory_remaining'),
    diskTotalBytes: kv.get('disk_total'),
    diskProcessedBytes: kv.get('disk_processed'),
    dirtyRateBytesPerSec: dirty !== undefined && page !== undefined ? dirty * page : undefined,
    iteration: kv.get('memory_iteration'),
    bandwidthBytesPerSec: kv.get('memory_bps'),
    downtimeMs: kv.get('downtime'),
    elapsedMs: kv.get('time_elapsed'),
  };
  for (const k of Object.keys(out) as (keyof MigrationProgress)[]) if (out[k] === undefined) delete out[k];
  return out;
}

interface MigrateRule {
  test: RegExp;
  code: string;
  category: ErrorCategory;
  fix: string;
}

const MIGRATE_RULES: MigrateRule[] = [
  {
    test: /operation aborted|canceled by client|cancelled by client/i,
    code: 'HVS-LIBVIRT-MIGRATE-CANCELLED',
    category: 'FailedPrecondition',
    fix: 'Nothing to repair: the migration was aborted on request and the guest runs on the source. Migrate again when ready (a smaller --max-downtime or post-copy helps a busy guest converge).',
  },
  {
    test: /unable to connect to server|No route to host|Network is unreachable|Connection refused|Connection timed out|Failed to connect/i,
    code: 'HVS-LIBVIRT-MIGRATE-TARGET-UNREACHABLE',
    category: 'Unavailable',
    fix: 'Check that the target libvirtd listens on TCP (listen_tcp = 1, `libvirtd --listen`) and that the source host reaches it: `virsh -c <dest> uri` run on the source host.',
  },
  {
    test: /Storage pool not found|no storage pool with matching target path/i,
    code: 'HVS-LIBVIRT-MIGRATE-STORAGE',
    category: 'FailedPrecondition',
    fix: "Define a storage pool on the target whose directory holds the guest's disk paths (`virsh -c <dest> pool-list --details`), or put the disks on shared storage and migrate without copy-storage.",
  },
];

/** Any migration failure as HVS-LIBVIRT-MIGRATE-*, keeping libvirt's own words in `why`. */
export function migrationError(err: unknown, name: string, sourceUri: string, destUri: string): HvsError {
  const text = (err instanceof HvsError ? (err.why ?? err.message) : messageOf(err)).replace(/^error:\s*/gm, '').trim();
  const rule = MIGRATE_RULES.find((r) => r.test.test(text));
  return new HvsError({
    code: rule?.code ?? 'HVS-LIBVIRT-MIGRATE-FAILED',
    category: rule?.category ?? (err instanceof HvsError ? err.category : 'Internal'),
    message: `migration of domain '${name}' from ${sourceUri} to ${destUri} failed`,
    why: `${text || 'libvirt gave no message'} (a failed pre-copy migration leaves the guest running on the source)`,
    fix: (rule?.fix ?? "Read the source libvirtd's log and `virsh -c <source> domjobinfo <name> --completed`, fix the cause, then retry.")
      .replace('<dest>', destUri).replace('<source>', sourceUri).replace('<name>', name),
    cause: err,
  });
}

type DomainVirsh = (args: string[], op: string, domain: string) => Promise<VirshResult>;

/** Internal snapshots through virsh (the binding has none). */
export function snapshotsWithVirsh(virsh: DomainVirsh) {
  return {
    async create(domain: string, snapshot: string, description?: string): Promise<void> {
      const args = ['snapshot-create-as', domain, snapshot];
      if (description) args.push('--description', description);
      await virsh(args, 'snapshot-create-as', domain);
    },
    async list(domain: string): Promise<SnapshotInfo[]> {
      const r = await virsh(['snapshot-list', domain], 'snapshot-list', domain);
      const out: SnapshotInfo[] = [];
      for (const line of r.stdout.split('\n')) {
        const m = /^\s*(\S+)\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) ([+-]\d{4})/.exec(line);
        if (m) out.push({ name: m[1], createdAt: Date.parse(`${m[2].replace(' ', 'T')}${m[3].slice(0, 3)}:${m[3].slice(3)}`) });
      }
      return out;
    },
    async revert(domain: string, snapshot: string): Promise<void> {
      await virsh(['snapshot-revert', domain, snapshot], 'snapshot-revert', domain);
    },
    async remove(domain: string, snapshot: string): Promise<void> {
      await virsh(['snapshot-delete', domain, snapshot], 'snapshot-delete', domain);
    },
  };
}
