import type { Clock } from '@hvs/reconcile';
import type { MigrateOptions, MigrationProgress, SnapshotInfo } from './driver';
import { parseJobInfo, runVirsh, type VirshResult } from './virsh';

/** Runs one virsh command for the driver (observed, errors mapped to HvsError). */
export type VirshRunner = (args: string[], op: string, timeoutMs?: number) => Promise<VirshResult>;

/**
 * Live migration through `virsh migrate --live --p2p --persistent --undefinesource`, sampling
 * `virsh domjobinfo` while it runs. Yields 'running' samples, then one 'completed' (with the
 * downtime the target reports). Throws the mapped libvirt error when the migration fails.
 */
export async function* migrateWithVirsh(
  virsh: VirshRunner, clock: Clock, name: string, destUri: string, opts: MigrateOptions,
): AsyncGenerator<MigrationProgress> {
  if (opts.maxDowntimeMs !== undefined) {
    await virsh(['migrate-setmaxdowntime', name, '--downtime', String(opts.maxDowntimeMs)], 'migrate-setmaxdowntime');
  }
  const args = ['migrate', '--live', '--p2p', '--persistent', '--undefinesource', '--verbose'];
  if (opts.copyStorage) args.push('--copy-storage-all');
  if (opts.autoConverge) args.push('--auto-converge');
  if (opts.postCopy) args.push('--postcopy', '--postcopy-after-precopy');
  if (opts.timeoutSeconds !== undefined) args.push('--timeout', String(opts.timeoutSeconds));
  args.push(name, destUri);

  let settled = false;
  let failure: unknown;
  const job = virsh(args, 'migrate', 24 * 3600 * 1000).then(
    () => (settled = true),
    (e) => {
      failure = e;
      settled = true;
    },
  );
  while (!settled) {
    const sample = await virsh(['domjobinfo', name], 'domjobinfo').then((r) => parseJobInfo(r.stdout, false), () => undefined);
    if (sample && !settled) yield sample;
    if (!settled) await Promise.race([job, clock.sleep(opts.pollMs ?? 500)]);
  }
  if (failure) throw failure;
  // --undefinesource removed it here: the completed job's figures live at the target.
  let done: MigrationProgress = { phase: 'completed' };
  try {
    const r = await runVirsh(destUri, ['domjobinfo', name, '--completed']);
    done = parseJobInfo(r.stdout, true) ?? done;
  } catch {
    // the migration itself succeeded; its figures are best effort
  }
  yield { ...done, phase: 'completed' };
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
