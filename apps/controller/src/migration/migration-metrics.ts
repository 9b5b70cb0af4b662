/**
 * Migration metrics on the controller's /metrics (DESIGN §5; docs/migration.md has PromQL):
 * - hvs_migrations_total{mode,result}: migrations that ended, result succeeded | failed |
 *   cancelled (a Failed Migration whose reason is Cancelled);
 * - hvs_migration_duration_seconds{mode}: Running to the end (buckets 1 s .. 1 h);
 * - hvs_migration_downtime_seconds{mode}: guest downtime of succeeded migrations (buckets
 *   10 ms .. 10 s: live moves aim at p95 <= 100 ms, offline ones pay a shutdown plus a boot);
 * - hvs_migrations_in_flight{phase}: Pending and Running now (leader only; absent elsewhere).
 * Counted once per migration: `observeEnded` is called only by the writer whose transaction
 * moved the Migration to its terminal phase (live-migration.ts finishSucceeded/finishFailed).
 */
import type { Migration } from '@hvs/domain';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export const MIGRATION_DURATION_BUCKETS = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600];
export const MIGRATION_DOWNTIME_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10];

/** What the migration code reports to (a fake or nothing in tests). */
export interface MigrationObserver {
  observeEnded(m: Migration): void;
}

export type MigrationResult = 'succeeded' | 'failed' | 'cancelled';

export function migrationResult(m: Migration): MigrationResult | undefined {
  if (m.status?.phase === 'Succeeded') return 'succeeded';
  if (m.status?.phase === 'Failed') return m.status.reason === 'Cancelled' ? 'cancelled' : 'failed';
  return undefined;
}

export class MigrationMetrics implements MigrationObserver {
  readonly total: Counter<'mode' | 'result'>;
  readonly duration: Histogram<'mode'>;
  readonly downtime: Histogram<'mode'>;
  readonly inFlight: Gauge<'phase'>;

  /** `inFlight` answers { Pending, Running } counts on the leader, undefined elsewhere. */
  constructor(registry: Registry, inFlight: () => { Pending: number; Running: number } | undefined) {
    for (const name of ['hvs_migrations_total', 'hvs_migration_duration_seconds', 'hvs_migration_downtime_seconds', 'hvs_migrations_in_flight']) {
      if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
    }
    const registers = [registry];
    this.total = new Counter({ name: 'hvs_migrations_total', help: 'Migrations that ended, by mode and result (succeeded, failed, cancelled).', labelNames: ['mode', 'result'], registers });
    this.duration = new Histogram({ name: 'hvs_migration_duration_seconds', help: 'Duration of ended migrations (Running to Succeeded/Failed) in seconds.', labelNames: ['mode'], buckets: MIGRATION_DURATION_BUCKETS, registers });
    this.downtime = new Histogram({ name: 'hvs_migration_downtime_seconds', help: 'Guest downtime of succeeded migrations in seconds (libvirt\'s figure for live moves; stop to running for offline ones).', labelNames: ['mode'], buckets: MIGRATION_DOWNTIME_BUCKETS, registers });
    this.inFlight = new Gauge({
      name: 'hvs_migrations_in_flight', help: 'Migrations Pending or Running now, by phase; only on the leader.', labelNames: ['phase'], registers,
      collect() {
        this.reset();
        const n = inFlight();
        if (n) {
          this.set({ phase: 'Pending' }, n.Pending);
          this.set({ phase: 'Running' }, n.Running);
        }
      },
    });
  }

  observeEnded(m: Migration): void {
    const result = migrationResult(m);
    if (!result) return;
    const mode = m.status?.mode ?? m.spec.mode ?? 'live';
    this.total.inc({ mode, result });
    if (m.status?.durationMs !== undefined) this.duration.observe({ mode }, m.status.durationMs / 1000);
    if (result === 'succeeded' && m.status?.downtimeMs !== undefined) this.downtime.observe({ mode }, m.status.downtimeMs / 1000);
  }
}

/** Pending/Running counts of a list of Migrations (a Migration without a phase is Pending). */
export function countInFlight(migrations: readonly Migration[]): { Pending: number; Running: number } {
  const n = { Pending: 0, Running: 0 };
  for (const m of migrations) {
    const p = m.status?.phase ?? 'Pending';
    if (p === 'Pending' || p === 'Running') n[p]++;
  }
  return n;
}
