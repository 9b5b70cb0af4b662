/**
 * The coded errors of encryption at rest (docs/architecture/secrets.md). None of them carries a
 * key's bytes, a value or a plaintext: only key ids, etcd keys and file paths.
 */
import { HvsError } from '@hvs/domain';

const RESTORE = 'restore the key file from the backup taken with the etcd snapshot (docs/architecture/secrets.md#backups)';

/** The envelope names a key id the key ring does not hold (wrong or lost key file). */
export function keyUnknown(where: string, keyId: string, known: readonly string[]): HvsError {
  return new HvsError({
    code: 'HVS-ENCRYPTION-KEY-UNKNOWN', category: 'FailedPrecondition',
    message: `the value at ${where} is encrypted with key "${keyId}", which this controller does not have`,
    why: `the key ring holds only ${known.map((k) => `"${k}"`).join(', ') || 'no key'}: the key file is from another cluster, or the key was retired before this value was re-encrypted`,
    fix: RESTORE,
  });
}

/** The key named by the envelope did not unwrap its data key: a different key under the same id, or a damaged envelope. */
export function keyMismatch(where: string, keyId: string): HvsError {
  return new HvsError({
    code: 'HVS-ENCRYPTION-KEY-MISMATCH', category: 'FailedPrecondition',
    message: `key "${keyId}" does not decrypt the data key of the value at ${where}`,
    why: 'AES-GCM authentication of the wrapped data key failed: the key file holds another key under that id, or the stored value was altered',
    fix: RESTORE,
  });
}

/** The data key unwrapped but the value failed authentication: the stored bytes were altered. */
export function tampered(where: string): HvsError {
  return new HvsError({
    code: 'HVS-ENCRYPTION-TAMPERED', category: 'Internal',
    message: `the encrypted value at ${where} failed its integrity check`,
    why: 'AES-GCM authentication failed: the stored ciphertext was altered, truncated, or copied from another key',
    fix: `restore the object from a backup, or delete it (\`etcdctl del ${where}\`) and apply it again`,
  });
}

export function malformed(where: string, why: string): HvsError {
  return new HvsError({
    code: 'HVS-ENCRYPTION-MALFORMED', category: 'Internal',
    message: `the encrypted value at ${where} is not a valid envelope`,
    why,
    fix: `restore the object from a backup, or delete it (\`etcdctl del ${where}\`) and apply it again`,
  });
}

/** A store without a key ring asked to write a kind that must be encrypted. */
export function encryptionRequired(key: string): HvsError {
  return new HvsError({
    code: 'HVS-ENCRYPTION-REQUIRED', category: 'FailedPrecondition',
    message: `refusing to write ${key} in plain text`,
    why: 'values of this kind are only ever stored encrypted, and this store has no encryption key ring',
    fix: 'give the store a key ring (the controller loads <dataDir>/encryption/keys.json at start)',
  });
}

export function keyFileUnusable(file: string, why: string): HvsError {
  return new HvsError({
    code: 'HVS-ENCRYPTION-KEYFILE-UNUSABLE', category: 'FailedPrecondition',
    message: `the encryption key file ${file} cannot be used`,
    why,
    fix: `${RESTORE}; if this is a new cluster with no encrypted data yet, move the file aside and restart to create a fresh one`,
  });
}

/** Rotation could not re-seal every value (writers kept changing them); the old keys were kept. */
export function rotationIncomplete(prefix: string): HvsError {
  return new HvsError({
    code: 'HVS-ENCRYPTION-ROTATION-INCOMPLETE', category: 'Conflict',
    message: `key rotation could not re-encrypt every value under ${prefix}`,
    why: 'the values kept changing while they were re-encrypted; the old keys are kept, so every value stays readable',
    fix: 'run `hvctl admin rotate-encryption-key` again (it finishes what is left)',
  });
}
