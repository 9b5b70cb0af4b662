/**
 * Cluster administration that is no resource: key rotation of encryption at rest
 * (docs/architecture/secrets.md#rotation). Needs `secrets.rotate`; audited (operation
 * `rotate-encryption-key`, the new key id as the name), failures included (refusals: by the edge).
 * Rotations are serialised in this process; a failed one keeps the old keys (every value stays
 * readable) and running it again finishes the job.
 */
import type { AuditService } from '../audit';
import { rotateEncryptionKey, type EtcdConnection, type RotationResult, type ValueTransformer } from '../store';
import { admit } from './access';
import type { CallContext } from './call-context';
import { auditFailure } from './writes';

export const ROTATE_OPERATION = 'rotate-encryption-key';

export class AdminService {
  private running: Promise<unknown> = Promise.resolve();

  constructor(private readonly connection: EtcdConnection, private readonly transformer: ValueTransformer, private readonly audit: AuditService) {}

  rotateEncryptionKey(ctx: CallContext): Promise<RotationResult> {
    const run = this.running.then(() => this.rotateOnce(ctx));
    this.running = run.catch(() => undefined);
    return run;
  }

  private async rotateOnce(ctx: CallContext): Promise<RotationResult> {
    const entry = { operation: ROTATE_OPERATION, kind: 'EncryptionKey', actor: ctx.actor };
    try {
      admit(ctx, 'AdminService/RotateEncryptionKey');
      const r = await rotateEncryptionKey(this.connection, this.transformer);
      await this.audit.append([{ ...entry, name: r.keyId, generationBefore: 0, generationAfter: 0, result: 'ok' }]);
      return r;
    } catch (e) {
      // Refusals (auth) are skipped here: the edge records them (services/refusals.ts).
      await auditFailure(this.audit, e, { ...entry, name: '' });
      throw e;
    }
  }
}
