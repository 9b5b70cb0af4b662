/**
 * `hvctl migrate VM`: shows the controller's estimate (duration, downtime, what was assumed),
 * creates the Migration, then follows it: a progress bar on a terminal, a line per change
 * elsewhere; ends with the downtime and the total time, or the reason it failed (exit 1).
 */
import { fromProtoObject, migrationModes, v1 } from '@hvs/proto';
import { tryParseBandwidth, type Migration } from '@hvs/domain';
import { CliExit, cliError, EXIT, usageError } from '../errors';
import { formatBytes, formatDuration } from '../printers/table';
import { parseDurationFlag, type Runtime } from './runtime';

const POLL_MS = 500;

export interface MigrateOpts { to?: string; mode?: string; maxDowntime?: string; copyStorage?: boolean; bandwidth?: string; dryRun?: boolean; cancel?: boolean; timeout: string }

export function estimateLines(r: v1.MigrateVmResponse, vm: string): string {
  const e = r.estimate;
  const lines = [`virtualmachine/${vm}: ${r.sourceNode} -> ${r.targetNode}`];
  if (e) {
    lines.push(`  estimate: ${formatDuration(e.durationMs)} total, ${e.downtimeMs} ms downtime (${formatBytes(e.memoryBytes)} memory, dirty ${formatBytes(e.dirtyRateBps)}/s, link ${formatBytes(e.bandwidthBps)}/s)`);
    for (const n of e.notes) lines.push(`  - ${n}`);
  }
  return `${lines.join('\n')}\n`;
}

/** `[#########-----------]  45% 0.9GiB/2GiB dirty 4MiB/s pass 2` */
export function progressLine(m: Migration): string {
  const p = m.status?.progress;
  if (m.status?.mode === 'offline') return `${m.status?.phase ?? 'Pending'}${m.status?.step ? `: ${m.status.step}` : ''}`;
  if (!p?.bytesTotal) return `${m.status?.phase ?? 'Pending'}${m.status?.reason ? ` (${m.status.reason})` : ''}`;
  const frac = Math.min(1, (p.bytesDone ?? 0) / p.bytesTotal);
  const width = 20;
  const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '-');
  return `[${bar}] ${String(Math.round(frac * 100)).padStart(3)}% ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)} dirty ${formatBytes(p.dirtyRate ?? 0)}/s pass ${p.iteration ?? 0}`;
}

/** `hvctl migrate VM`: estimate, create, then follow the Migration to its end. */
export async function runMigrate(rt: Runtime, vm: string, opts: MigrateOpts): Promise<void> {
  if (opts.cancel) return runCancel(rt, vm, opts);
  if (opts.mode !== undefined && !migrationModes.is(opts.mode)) throw usageError(`--mode "${opts.mode}" is not a migration mode`, `use ${migrationModes.values.join(', ')}`);
  const maxDowntimeMs = opts.maxDowntime !== undefined ? parseDurationFlag('--max-downtime', opts.maxDowntime) : 0;
  parseDurationFlag('--timeout', opts.timeout); // a bad --timeout fails before anything is created
  const bandwidthLimit = opts.bandwidth === undefined ? 0 : tryParseBandwidth(opts.bandwidth);
  if (bandwidthLimit === undefined) throw usageError(`--bandwidth "${opts.bandwidth}" is not a bandwidth`, 'write bytes/s like 100MB or 800MiB, or bits like 1Gbit');
  const api = await rt.api();
  const req: v1.MigrateVmRequest = {
    vm, targetNode: opts.to ?? '', mode: migrationModes.is(opts.mode) ? migrationModes.toProto(opts.mode) : v1.MigrationMode.UNSPECIFIED, maxDowntimeMs, copyStorage: opts.copyStorage,
    bandwidthLimitBytesPerSecond: bandwidthLimit, dryRun: opts.dryRun === true,
  };
  const res = await api.migrateVm(req);
  rt.io.out(estimateLines(res, vm));
  if (opts.dryRun) return;
  const name = res.migration?.metadata?.name;
  if (!name) throw cliError('HVS-CLI-MIGRATION-MISSING', 'the controller created no Migration', 'retry; `hvctl get migrations` lists what exists');
  rt.io.out(`migration/${name} created\n`);
  const m = await follow(rt, api, name, opts);
  if (m.status?.phase === 'Succeeded') {
    rt.io.out(`virtualmachine/${vm} migrated to ${m.status?.targetNode}: downtime ${m.status?.downtimeMs ?? 0} ms, total ${formatDuration(m.status?.durationMs ?? 0)}\n`);
    return;
  }
  rt.io.err(`error: migration/${name} failed after ${formatDuration(m.status?.durationMs ?? 0)}: ${m.status?.reason ?? 'Failed'}: ${m.status?.message ?? 'no reason recorded'}\n`);
  throw new CliExit(EXIT.error);
}

/** `hvctl migrate VM --cancel`: stops the VM's migration in flight and waits for its end. */
async function runCancel(rt: Runtime, vm: string, opts: MigrateOpts): Promise<void> {
  const conflicting = (['to', 'mode', 'maxDowntime', 'copyStorage', 'bandwidth', 'dryRun'] as const).filter((k) => opts[k] !== undefined);
  if (conflicting.length > 0) throw usageError(`--cancel takes no other migration flag (got ${conflicting.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')})`, `run \`hvctl migrate ${vm} --cancel\` alone`);
  const api = await rt.api();
  const res = await api.cancelMigration({ vm, migration: '' });
  const name = res.migration?.metadata?.name ?? '';
  rt.io.out(`migration/${name} cancel requested\n`);
  const m = await follow(rt, api, name, opts);
  const took = formatDuration(m.status?.durationMs ?? 0);
  if (m.status?.phase === 'Failed' && m.status.reason === 'Cancelled') {
    rt.io.out(`migration/${name} cancelled after ${took}: virtualmachine/${vm} stays on ${m.status.sourceNode ?? 'its node'}\n`);
    return;
  }
  if (m.status?.phase === 'Succeeded') {
    rt.io.err(`error: migration/${name} completed before the cancel took effect: virtualmachine/${vm} is on ${m.status.targetNode}; migrate it back with hvctl migrate ${vm} --to ${m.status.sourceNode}\n`);
  } else {
    rt.io.err(`error: migration/${name} ended otherwise after ${took}: ${m.status?.reason ?? 'Failed'}: ${m.status?.message ?? 'no reason recorded'}\n`);
  }
  throw new CliExit(EXIT.error);
}

/** Polls the Migration until it ends, drawing progress on stderr; returns it ended (or throws at --timeout). */
async function follow(rt: Runtime, api: Awaited<ReturnType<Runtime['api']>>, name: string, opts: MigrateOpts): Promise<Migration> {
  const timeoutMs = parseDurationFlag('--timeout', opts.timeout);
  const started = rt.io.now();
  let last = '';
  for (;;) {
    const m = fromProtoObject(await api.get('Migration', name)) as Migration;
    const phase = m.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') {
      if (rt.io.stderrTty) rt.io.err('\r\u001b[K');
      return { ...m, status: { ...m.status, durationMs: m.status?.durationMs ?? rt.io.now() - started } };
    }
    const line = progressLine(m);
    if (rt.io.stderrTty) rt.io.err(`\r\u001b[K${line}`);
    else if (line !== last) rt.io.err(`${line}\n`);
    last = line;
    if (rt.io.now() - started > timeoutMs) {
      throw cliError('HVS-CLI-WAIT-TIMEOUT', `migration/${name} did not finish within ${opts.timeout}`, `it goes on in the controller: follow it with hvctl get migration ${name} -o yaml`);
    }
    await rt.io.sleep(POLL_MS);
  }
}
