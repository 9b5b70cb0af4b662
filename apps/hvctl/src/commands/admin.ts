/** `hvctl admin rotate-encryption-key`: a new key for encryption at rest (docs/architecture/secrets.md#rotation). */
import { usageError } from '../errors';
import { parseDurationFlag, type Runtime } from './runtime';

export interface RotateOpts {
  timeout?: string;
  output?: string;
}

export async function runRotateEncryptionKey(rt: Runtime, opts: RotateOpts): Promise<void> {
  if (opts.output !== undefined && opts.output !== 'json') throw usageError(`-o ${opts.output} is not an output format here`, 'use -o json, or leave it out');
  const waitMs = parseDurationFlag('--timeout', opts.timeout ?? '5m');
  const api = await rt.api();
  const r = await api.rotateEncryptionKey(waitMs);
  if (opts.output === 'json') {
    rt.io.out(`${JSON.stringify({ keyId: r.keyId, reencrypted: r.reencrypted, retiredKeyIds: r.retiredKeyIds })}\n`);
    return;
  }
  rt.io.out(`new encryption key ${r.keyId}: ${r.reencrypted} value(s) re-encrypted; retired ${r.retiredKeyIds.length > 0 ? r.retiredKeyIds.join(', ') : 'no key'}\n`);
}
