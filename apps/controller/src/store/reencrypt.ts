/**
 * Key rotation's middle step: re-seal every value under the transformer's prefixes that is not
 * sealed with the primary key (or not sealed at all), each with a compare-and-swap on its
 * mod_revision, so a concurrent write (already sealed with the primary) is never overwritten.
 * Idempotent: a second run finds nothing to do. Values are decrypted only in this process.
 */
import type { IKeyValue } from 'etcd3';
import { prefixEnd, type EtcdConnection } from './etcd-connection';
import { rotationIncomplete } from './encryption-errors';
import { envelopeKeyId, isEnvelope } from './envelope';
import type { ValueTransformer } from './value-transformer';

export interface ReencryptResult {
  /** Values re-sealed with the primary key. */
  resealed: number;
  /** Values already sealed with it. */
  current: number;
}

const MAX_ROUNDS = 5;

function isCurrent(kv: IKeyValue, primary: string): boolean {
  return isEnvelope(kv.value) && envelopeKeyId(kv.value, kv.key.toString('utf8')) === primary;
}

export async function reencryptAll(connection: EtcdConnection, transformer: ValueTransformer, batch = 64): Promise<ReencryptResult> {
  const kv = connection.client.kv;
  const primary = transformer.ring.primary().id;
  const out: ReencryptResult = { resealed: 0, current: 0 };
  for (const prefix of transformer.prefixes) {
    const start = Buffer.from(prefix);
    // A value that lost its compare (written meanwhile) is read again in the next round.
    for (let round = 1; ; round++) {
      const res = await connection.call((o) => kv.range({ key: start, range_end: prefixEnd(start) }, o));
      const stale = res.kvs.filter((x) => !isCurrent(x, primary));
      if (round === 1) out.current += res.kvs.length - stale.length;
      if (stale.length === 0) break;
      if (round > MAX_ROUNDS) throw rotationIncomplete(prefix);
      for (let i = 0; i < stale.length; i += batch) {
        await Promise.all(stale.slice(i, i + batch).map(async (x) => {
          const key = x.key.toString('utf8');
          const value = transformer.toStorage(key, transformer.fromStorage(key, x.value));
          const r = await connection.call((o) => kv.txn({
            compare: [{ key: x.key, target: 'Mod', result: 'Equal', mod_revision: x.mod_revision }],
            success: [{ request_put: { key: x.key, value } }],
          }, o));
          if (r.succeeded) out.resealed++;
        }));
      }
    }
  }
  return out;
}

export interface RotationResult extends ReencryptResult {
  keyId: string;
  /** Keys whose material was dropped from the key file. */
  retired: string[];
}

/**
 * `hvctl admin rotate-encryption-key`: a new primary key, every value re-sealed with it, and
 * only then the old keys retired. A crash before the end keeps the old keys in the key file
 * (every value stays readable); running it again finishes the job under yet another key.
 */
export async function rotateEncryptionKey(connection: EtcdConnection, transformer: ValueTransformer): Promise<RotationResult> {
  const next = transformer.ring.beginRotation();
  const counts = await reencryptAll(connection, transformer);
  const retired = transformer.ring.retireAllBut(next.id);
  return { keyId: next.id, retired, ...counts };
}
