/**
 * Where values become bytes in etcd, and back: the one place encryption at rest happens (as in
 * Kubernetes' storage value transformers), so no code path above the store can write a covered
 * value in plain text. The etcd key is bound into every envelope (envelope.ts).
 */
import { encryptionRequired, keyUnknown } from './encryption-errors';
import { envelopeKeyId, isEnvelope, open, seal } from './envelope';
import type { KeyRing } from './key-ring';
import { kindPrefix } from './objects';

/** Kinds whose values are never written in plain text: a store without a key ring refuses them. */
export const ALWAYS_ENCRYPTED_KINDS: readonly string[] = ['Secret'];

/** What the controller encrypts: Secrets, and VirtualMachines (inline cloud-init userData and networkConfig). */
export const CONTROLLER_ENCRYPTED_KINDS: readonly string[] = ['Secret', 'VirtualMachine'];

export interface ValueTransformer {
  /** Whether values under `key` are encrypted. */
  covers(key: string): boolean;
  toStorage(key: string, plain: string): Buffer;
  /** Plain JSON values (written before encryption was enabled) read as they are. */
  fromStorage(key: string, stored: Buffer): string;
  /** The key prefixes it covers (rotation re-seals every value under them). */
  readonly prefixes: readonly string[];
  readonly ring: KeyRing;
}

export class EnvelopeTransformer implements ValueTransformer {
  readonly prefixes: readonly string[];

  constructor(readonly ring: KeyRing, kinds: readonly string[] = CONTROLLER_ENCRYPTED_KINDS) {
    this.prefixes = [...new Set([...ALWAYS_ENCRYPTED_KINDS, ...kinds])].map(kindPrefix);
  }

  covers(key: string): boolean {
    return this.prefixes.some((p) => key.startsWith(p));
  }

  toStorage(key: string, plain: string): Buffer {
    const bytes = Buffer.from(plain, 'utf8');
    return this.covers(key) ? seal(bytes, this.ring.primary(), key) : bytes;
  }

  fromStorage(key: string, stored: Buffer): string {
    if (!isEnvelope(stored)) return stored.toString('utf8');
    return open(stored, (id) => this.ring.get(id), () => this.ring.ids(), key).toString('utf8');
  }
}

/** The bytes a store without a transformer writes: plain JSON, refused for the always-encrypted kinds. */
export function plainToStorage(key: string, plain: string): Buffer {
  if (ALWAYS_ENCRYPTED_KINDS.some((k) => key.startsWith(kindPrefix(k)))) throw encryptionRequired(key);
  return Buffer.from(plain, 'utf8');
}

/** What a store without a transformer reads: plain values; an envelope it cannot open is a coded error. */
export function plainFromStorage(key: string, stored: Buffer): string {
  if (isEnvelope(stored)) throw keyUnknown(key, envelopeKeyId(stored, key), []);
  return stored.toString('utf8');
}
