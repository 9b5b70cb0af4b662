/**
 * What happens to a refused call, the same for both transports:
 *  - unauthenticated (no or an invalid credential): counted in hvs_api_unauthenticated_total
 *    and logged at most once per LOG_EVERY_MS (with how many were refused meanwhile); never
 *    written to etcd, so anonymous traffic cannot fill the audit log;
 *  - forbidden (a verified caller whose role lacks the permission): one audit record
 *    (operation `denied`, the method, the caller, the code), so an admin sees who tried what.
 */
import type { HvsError } from '@hvs/domain';
import type { Logger } from 'pino';
import type { AuditService } from '../audit';
import type { Metrics } from '../observability';
import type { CallContext } from './call-context';

export const LOG_EVERY_MS = 10_000;

export class Refusals {
  private lastLog = 0;
  private suppressed = 0;

  constructor(private readonly audit: AuditService, private readonly metrics: Metrics, private readonly log: Logger, private readonly now: () => number = Date.now) {}

  record(transport: 'grpc' | 'rest', method: string, e: HvsError, ctx?: CallContext): void {
    if (e.category === 'Unauthenticated') {
      this.metrics.unauthenticated.inc({ transport });
      const t = this.now();
      if (t - this.lastLog < LOG_EVERY_MS) {
        this.suppressed++;
        return;
      }
      this.log.warn({ transport, method, code: e.code, why: e.why, suppressed: this.suppressed }, 'unauthenticated call refused');
      this.lastLog = t;
      this.suppressed = 0;
      return;
    }
    if (e.category !== 'PermissionDenied' || ctx === undefined || ctx.principal === undefined || ctx.principal.kind === 'anonymous') return;
    void this.audit.append([{ operation: 'denied', kind: method.slice(0, 63), name: '', actor: ctx.actor, generationBefore: 0, generationAfter: 0, result: 'error', code: e.code }])
      .catch((err: unknown) => this.log.warn({ err, method }, 'could not audit a refused call'));
  }
}
