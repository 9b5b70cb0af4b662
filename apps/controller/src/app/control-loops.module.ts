/**
 * Runs the control loops inside the Nest app: a LeaderElector on the app's etcd connection
 * campaigns from bootstrap; ControlLoops follows it (only the leader schedules, tracks node
 * leases and dispatches). Shutdown resigns first (handing leadership over at once) and stops
 * the loops before the etcd client closes (EtcdBackend closes it in onApplicationShutdown).
 */
import * as os from 'node:os';
import { Inject, Injectable, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { ControllerConfig, formatListen } from '../config';
import { EventRecorder } from '../events/event-recorder';
import { EventsModule } from '../events/events.module';
import { AuditService } from '../audit';
import { registerCapacityGauge } from '../ha';
import { LeaderElector } from '../leader';
import { MigrationMetrics } from '../migration/migration-metrics';
import { LOGGER, Metrics } from '../observability';
import { EtcdBackend } from '../backend/etcd-backend';
import { ServicesModule } from '../services/services.module';
import { ClusterPki } from '../pki/cluster-pki';
import { PkiModule } from '../pki/pki.module';
import { ControlLoops } from './control-loops';

/** How long shutdown waits for the resignation to reach etcd. */
export const RESIGN_WAIT_MS = 2_000;

@Injectable()
export class ControlLoopsLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  readonly elector: LeaderElector;
  readonly loops: ControlLoops;

  constructor(
    @Inject(EtcdBackend) backend: EtcdBackend,
    @Inject(ControllerConfig) config: ControllerConfig,
    @Inject(LOGGER) logger: Logger,
    @Inject(Metrics) metrics: Metrics,
    @Inject(EventRecorder) events: EventRecorder,
    @Inject(ClusterPki) pki: ClusterPki,
    @Inject(AuditService) audit: AuditService,
  ) {
    const log = logger.child({ component: 'control-loops' });
    const id = `${os.hostname()}-${process.pid}`;
    const ttlSeconds = Math.max(2, Math.round(config.leaseTtlMs / 1000));
    this.elector = new LeaderElector({
      connection: backend.connection, id, ttlSeconds, address: formatListen(config.grpcListen),
      onError: (err) => log.warn({ err }, 'leader election step failed; retrying'),
    });
    const results = { done: 'done', requeueAfter: 'requeue', error: 'error', terminal: 'error' } as const;
    const migrationMetrics = new MigrationMetrics(metrics.registry, () => this.loops.migrationsInFlight());
    this.loops = new ControlLoops({
      store: backend.store, leases: backend.leases, elector: this.elector, controllerId: id, log,
      onReconcile: (name, outcome, ms) => metrics.observeReconcile(name, results[outcome], ms / 1000),
      events, audit, dialer: pki.dialAgent, migrationObserver: migrationMetrics, ha: { fenceAfterMs: config.haFenceAfterMs, marginMs: config.haRescheduleMarginMs },
    });
    registerCapacityGauge(metrics.registry, { report: () => this.loops.capacityReport() });
  }

  onApplicationBootstrap(): void {
    this.loops.start();
    void this.elector.campaign();
  }

  /**
   * Resigns (bounded: an etcd that does not answer must not hold up shutdown; the lease then
   * expires on its own) and stops the loops.
   */
  async beforeApplicationShutdown(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, RESIGN_WAIT_MS)));
    await Promise.race([this.elector.resign(), bound]);
    clearTimeout(timer);
    await this.loops.stop();
  }
}

@Module({ imports: [ServicesModule, EventsModule, PkiModule], providers: [ControlLoopsLifecycle], exports: [ControlLoopsLifecycle] })
export class ControlLoopsModule {}
